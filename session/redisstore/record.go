package redisstore

import (
	"embed"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesamehq/sesame/session"
)

//go:embed lua/*.lua
var luaFiles embed.FS

// script returns the script lua/name.lua after the helpers all scripts
// share. redis.Script runs it by EVALSHA and sends the whole text only
// when the server does not know it (first use, or after a restart).
func script(name string) *redis.Script {
	common, err := luaFiles.ReadFile("lua/common.lua")
	if err != nil {
		panic(err) // embedded at build time: only a misspelt name gets here
	}
	body, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err)
	}
	return redis.NewScript(string(common) + "\n" + string(body))
}

var (
	getScript     = script("get")
	createScript  = script("create")
	touchScript   = script("touch")
	rotateScript  = script("rotate")
	deleteScript  = script("delete")
	delUserScript = script("deluser")
	listScript    = script("list")
	expiredScript = script("expired")
)

// The fields of a session's hash. Times are Unix milliseconds in decimal,
// 0 for the zero time; hashes are hex, as in the token keys' names; the
// data is kept as the bytes it is.
const (
	fID, fHash, fPrev, fPrevUntil = "id", "h", "p", "pv"
	fUser, fCreated, fSeen        = "u", "c", "l"
	fIdle, fExpires               = "i", "e"
	fIP, fAgent, fLastIP          = "ip", "ua", "lip"
	fRemember, fAuth, fIssued     = "r", "a", "ti"
	fData                         = "d"
)

// fields returns r as the name, value pairs of its hash. The previous
// hash is absent when there is none.
func fields(r session.Record) []any {
	f := []any{
		fID, r.ID, fHash, r.Hash.String(), fPrevUntil, ms(r.PrevValidUntil),
		fUser, r.UserID, fCreated, ms(r.CreatedAt), fSeen, ms(r.LastSeenAt),
		fIdle, ms(r.IdleExpiresAt), fExpires, ms(r.ExpiresAt),
		fIP, r.IP, fAgent, r.UserAgent, fLastIP, r.LastIP,
		fRemember, strconv.FormatBool(r.Remember), fAuth, ms(r.AuthenticatedAt), fIssued, ms(r.TokenIssuedAt),
		fData, r.Data,
	}
	if !r.PrevHash.IsZero() {
		f = append(f, fPrev, r.PrevHash.String())
	}
	return f
}

// decode reads a record from the flat field, value array of HGETALL.
// Fields it does not know are skipped, so that a newer version may add
// some while older ones still run.
func decode(v any) (session.Record, error) {
	flat, ok := v.([]any)
	if !ok || len(flat)%2 != 0 {
		return session.Record{}, fmt.Errorf("stored session is %T of %d, not field, value pairs", v, len(flat))
	}
	var r session.Record
	for i := 0; i < len(flat); i += 2 {
		name, _ := flat[i].(string)
		val, ok := flat[i+1].(string)
		if !ok {
			return session.Record{}, fmt.Errorf("stored field %q is %T, not a string", name, flat[i+1])
		}
		var err error
		switch name {
		case fID:
			r.ID = val
		case fHash:
			err = decodeHash(&r.Hash, val)
		case fPrev:
			err = decodeHash(&r.PrevHash, val)
		case fUser:
			r.UserID = val
		case fIP:
			r.IP = val
		case fAgent:
			r.UserAgent = val
		case fLastIP:
			r.LastIP = val
		case fRemember:
			r.Remember, err = strconv.ParseBool(val)
		case fData:
			if val != "" {
				r.Data = []byte(val)
			}
		case fPrevUntil:
			r.PrevValidUntil, err = fromMS(val)
		case fCreated:
			r.CreatedAt, err = fromMS(val)
		case fSeen:
			r.LastSeenAt, err = fromMS(val)
		case fIdle:
			r.IdleExpiresAt, err = fromMS(val)
		case fExpires:
			r.ExpiresAt, err = fromMS(val)
		case fAuth:
			r.AuthenticatedAt, err = fromMS(val)
		case fIssued:
			r.TokenIssuedAt, err = fromMS(val)
		}
		if err != nil {
			return session.Record{}, fmt.Errorf("stored field %q: %w", name, err)
		}
	}
	if r.ID == "" || r.Hash.IsZero() {
		return session.Record{}, fmt.Errorf("stored session lacks its id or hash")
	}
	return r, nil
}

// decodeAll decodes each element of v, an array of flat records, from
// index from on.
func decodeAll(v any, from int) ([]session.Session, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) < from {
		return nil, fmt.Errorf("script returned %T, not an array", v)
	}
	var list []session.Session
	for _, e := range arr[from:] {
		r, err := decode(e)
		if err != nil {
			return nil, err
		}
		list = append(list, r.Session)
	}
	return list, nil
}

func decodeHash(h *session.Hash, s string) error {
	if hex.DecodedLen(len(s)) != len(h) {
		return fmt.Errorf("hash of %d hex digits", len(s))
	}
	_, err := hex.Decode(h[:], []byte(s))
	return err
}

// ms is t in Unix milliseconds, as stored and as sorted set scores: exact
// in a Lua number (a double) for hundreds of millennia. The zero time,
// which some fields use for "none", is 0.
func ms(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func fromMS(s string) (time.Time, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v == 0 {
		return time.Time{}, err
	}
	return time.UnixMilli(v).UTC(), nil
}

// code reads the integer that a script returned as its verdict, alone or
// first in an array.
func code(v any) (int64, error) {
	if arr, ok := v.([]any); ok && len(arr) > 0 {
		v = arr[0]
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("script returned %T, not a verdict", v)
	}
	return n, nil
}
