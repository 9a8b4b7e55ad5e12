package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sesamehq/sesame"
)

const userUsage = `Usage: sesame user COMMAND [flags]

Commands:
  add USERNAME --role R[,R…] [--password-stdin]   create a user
  passwd USERNAME [--password-stdin]              set a new password; ends every session of the user
  role USERNAME R[,R…]                            replace the roles; ends every session of the user
  disable USERNAME                                disable the user; ends every session of the user
  enable USERNAME                                 enable the user again
  list                                            username, roles, disabled, created, last sign-in

A password is read from the terminal without echo (asked twice), or as one
line of standard input with --password-stdin. Run "sesame user COMMAND --help"
for the flags of a command.
`

func userCmd(ctx context.Context, e cmdEnv, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stderr, userUsage)
		if len(args) == 0 {
			return usageError{errors.New("no user command")}
		}
		return flag.ErrHelp
	}
	switch sub, args := args[0], args[1:]; sub {
	case "add":
		return userAdd(ctx, e, args)
	case "passwd":
		return userPasswd(ctx, e, args)
	case "role":
		return userRole(ctx, e, args)
	case "disable", "enable":
		return userDisable(ctx, e, args, sub == "disable")
	case "list":
		return userList(ctx, e, args)
	default:
		fmt.Fprint(e.stderr, userUsage)
		return badUsage{fmt.Errorf("unknown user command %q", sub)}
	}
}

// wantArgs refuses any number of arguments but n.
func wantArgs(rest []string, n int, what string) error {
	switch {
	case len(rest) < n:
		return badUsage{fmt.Errorf("missing %s", what)}
	case len(rest) > n:
		return badUsage{fmt.Errorf("unexpected argument %q", rest[n])}
	}
	return nil
}

// roleList reads R[,R…].
func roleList(s string) []string {
	var roles []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			roles = append(roles, r)
		}
	}
	return roles
}

func userAdd(ctx context.Context, e cmdEnv, args []string) error {
	var roles string
	var stdin bool
	cfg, rest, err := commandConfig(e, args, "sesame user add", "USERNAME --role R[,R…] [--password-stdin] [flags]",
		"Create a user with the given roles and a password.", func(fs *flag.FlagSet) {
			fs.StringVar(&roles, "role", "", "the user's `roles`, separated by commas (customer, privileged, admin)")
			fs.BoolVar(&stdin, "password-stdin", false, "read the password as one line of standard input")
		})
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 1, "USERNAME"); err != nil {
		return err
	}
	if len(roleList(roles)) == 0 {
		return badUsage{errors.New("--role is required")}
	}
	password, err := readPassword(e, stdin)
	if err != nil {
		return err
	}
	o, err := openForCommand(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer o.Close()
	u, err := o.Accounts.CreateUser(operator(ctx), rest[0], password, roleList(roles))
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(e.stdout, "created user %s (id %d) with roles %s\n", u.Username, u.ID, strings.Join(u.Roles, ","))
	return nil
}

// named opens the stores and finds the user called name.
func named(ctx context.Context, cfg Config, e cmdEnv, name string) (*opened, *sesame.User, error) {
	o, err := openForCommand(ctx, cfg, e)
	if err != nil {
		return nil, nil, err
	}
	u, err := o.user(ctx, name)
	if err != nil {
		_ = o.Close() // the lookup's error is the one to report
		return nil, nil, err
	}
	return o, u, nil
}

// user finds the user called name.
func (o *opened) user(ctx context.Context, name string) (*sesame.User, error) {
	u, err := o.Accounts.UserNamed(operator(ctx), name)
	if errors.Is(err, sesame.ErrNotFound) {
		return nil, fmt.Errorf("there is no user called %q", name)
	}
	if err != nil {
		return nil, explain(err)
	}
	return u, nil
}

func userPasswd(ctx context.Context, e cmdEnv, args []string) error {
	var stdin bool
	cfg, rest, err := commandConfig(e, args, "sesame user passwd", "USERNAME [--password-stdin] [flags]",
		"Give a user a new password. Every session of the user ends.", func(fs *flag.FlagSet) {
			fs.BoolVar(&stdin, "password-stdin", false, "read the password as one line of standard input")
		})
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 1, "USERNAME"); err != nil {
		return err
	}
	o, u, err := named(ctx, cfg, e, rest[0])
	if err != nil {
		return err
	}
	defer o.Close()
	password, err := readPassword(e, stdin)
	if err != nil {
		return err
	}
	if err := o.Accounts.ResetPassword(operator(ctx), u.ID, password); err != nil {
		return explain(err)
	}
	fmt.Fprintf(e.stdout, "password of %s changed; every session of theirs has ended\n", u.Username)
	return nil
}

func userRole(ctx context.Context, e cmdEnv, args []string) error {
	cfg, rest, err := commandConfig(e, args, "sesame user role", "USERNAME R[,R…] [flags]",
		"Replace the roles of a user. Every session of the user ends.", nil)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 2, "USERNAME and roles"); err != nil {
		return err
	}
	o, u, err := named(ctx, cfg, e, rest[0])
	if err != nil {
		return err
	}
	defer o.Close()
	u, err = o.Accounts.SetRoles(operator(ctx), u.ID, roleList(rest[1]))
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(e.stdout, "roles of %s: %s; every session of theirs has ended\n", u.Username, strings.Join(u.Roles, ","))
	return nil
}

func userDisable(ctx context.Context, e cmdEnv, args []string, disable bool) error {
	verb, help := "enable", "Enable a disabled user again."
	if disable {
		verb, help = "disable", "Disable a user: they cannot sign in, and every session of theirs ends."
	}
	cfg, rest, err := commandConfig(e, args, "sesame user "+verb, "USERNAME [flags]", help, nil)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 1, "USERNAME"); err != nil {
		return err
	}
	o, u, err := named(ctx, cfg, e, rest[0])
	if err != nil {
		return err
	}
	defer o.Close()
	if _, err := o.Accounts.SetDisabled(operator(ctx), u.ID, disable); err != nil {
		return explain(err)
	}
	fmt.Fprintf(e.stdout, "%s %sd\n", u.Username, verb)
	return nil
}

func userList(ctx context.Context, e cmdEnv, args []string) error {
	cfg, rest, err := commandConfig(e, args, "sesame user list", "[flags]",
		"List every user: username, roles, whether disabled, created, last sign-in.", nil)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 0, ""); err != nil {
		return err
	}
	o, err := openForCommand(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer o.Close()
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "USERNAME\tROLES\tDISABLED\tCREATED\tLAST SIGN-IN")
	for p := (sesame.Paging{Limit: sesame.MaxLimit}); ; {
		users, next, err := o.Accounts.Users(operator(ctx), p)
		if err != nil {
			return explain(err)
		}
		for _, u := range users {
			fmt.Fprintf(w, "%s\t%s\t%v\t%s\t%s\n", u.Username, strings.Join(u.Roles, ","), u.Disabled,
				stamp(u.CreatedAt), stamp(u.LastLoginAt))
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	return w.Flush()
}

// stamp writes a time for a table, "never" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
