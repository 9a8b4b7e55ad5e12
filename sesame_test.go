package sesame

import (
	"context"
	"errors"
	"testing"
)

func TestCan(t *testing.T) {
	cust := &User{Permissions: []Permission{PermCartEdit, PermProductsView}}
	for _, tt := range []struct {
		name string
		a    *Actor
		p    Permission
		want bool
	}{
		{"a visitor", &Actor{}, PermProductsView, false},
		{"a user's own permission", &Actor{User: cust}, PermCartEdit, true},
		{"a permission the user lacks", &Actor{User: cust}, PermAdmin, false},
		{"the operator", &Actor{Operator: OperatorCLI}, PermAdmin, true},
		{"the operator, anything", &Actor{Operator: OperatorCLI}, Permission("anything"), true},
	} {
		if got := tt.a.Can(tt.p); got != tt.want {
			t.Errorf("%s: Can(%s) = %v; want %v", tt.name, tt.p, got, tt.want)
		}
	}
	var nobody *User
	if nobody.Can(PermProductsView) {
		t.Error("a nil user can do something")
	}
}

func TestActorFrom(t *testing.T) {
	if a := ActorFrom(context.Background()); a == nil || a.User != nil || a.IP != "" || a.Operator != "" {
		t.Errorf("ActorFrom(no actor) = %+v; want an anonymous actor", a)
	}
	if a := ActorFrom(NewContext(context.Background(), nil)); a == nil {
		t.Error("ActorFrom(a nil actor) = nil")
	}
	want := &Actor{IP: "192.0.2.1", SessionID: "s"}
	if got := ActorFrom(NewContext(context.Background(), want)); got != want {
		t.Errorf("ActorFrom = %+v; want %+v", got, want)
	}
}

func TestErrorsMatch(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		target error
	}{
		{"bad credentials", ErrBadCredentials, ErrUnauthenticated},
		{"empty cart", ErrEmptyCart, ErrConflict},
		{"reauthentication required", ErrReauthenticationRequired, ErrForbidden},
		{"short stock", &StockError{Lines: []ShortLine{{Name: "widget", Wanted: 3, Available: 1}}}, ErrConflict},
		{"a permission", &PermissionError{Permission: PermAdmin}, ErrForbidden},
		{"an unknown product", &UnknownError{Field: "product_id", What: "product"}, ErrNotFound},
	} {
		if !errors.Is(tt.err, tt.target) {
			t.Errorf("%s: %v does not match %v", tt.name, tt.err, tt.target)
		}
	}
	if got := (&StockError{Lines: []ShortLine{{Name: "a", Wanted: 2, Available: 1}, {Name: "b", Wanted: 1}}}).Error(); got != "not enough stock: a (2 wanted, 1 left); b (1 wanted, 0 left)" {
		t.Errorf("StockError = %q", got)
	}
}

func TestInvalidError(t *testing.T) {
	var none *InvalidError
	if none.Err() != nil || (&InvalidError{}).Err() != nil {
		t.Error("an InvalidError without fields is an error")
	}
	e := Invalid("b", "first").Add("a", "second").Add("b", "ignored")
	if e.Fields["b"] != "first" || e.Err() == nil {
		t.Errorf("fields %v; want the first reason of each kept", e.Fields)
	}
	if got := e.Error(); got != "invalid input: a: second; b: first" {
		t.Errorf("Error() = %q; want the fields in order", got)
	}
}
