module github.com/sesamehq/sesame/bench

go 1.26.8

require (
	github.com/alexedwards/scs/sqlite3store v0.0.0-20251002162104-209de6e426de
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/mattn/go-sqlite3 v1.14.53
	golang.org/x/crypto v0.59.0
)

require golang.org/x/sys v0.50.0 // indirect
