package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/sesamehq/sesame"
)

const sessionsUsage = `Usage: sesame sessions COMMAND [flags]

Commands:
  list [--user USERNAME]        public id, user, IP, browser, created, last seen, expiry
  revoke ID… | --user USERNAME | --all
                                end sessions by public id, every session of a user, or every session

Run "sesame sessions COMMAND --help" for the flags of a command.
`

func sessionsCmd(ctx context.Context, e cmdEnv, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stderr, sessionsUsage)
		if len(args) == 0 {
			return usageError{errors.New("no sessions command")}
		}
		return flag.ErrHelp
	}
	switch sub, args := args[0], args[1:]; sub {
	case "list":
		return sessionsList(ctx, e, args)
	case "revoke":
		return sessionsRevoke(ctx, e, args)
	default:
		fmt.Fprint(e.stderr, sessionsUsage)
		return badUsage{fmt.Errorf("unknown sessions command %q", sub)}
	}
}

func sessionsList(ctx context.Context, e cmdEnv, args []string) error {
	var user string
	cfg, rest, err := commandConfig(e, args, "sesame sessions list", "[--user USERNAME] [flags]",
		"List the live sessions, newest first: everyone's, or one user's.", func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "list only the sessions of `USERNAME`")
		})
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
	var id int64
	if user != "" {
		u, err := o.user(ctx, user)
		if err != nil {
			return err
		}
		id = u.ID
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSER\tIP\tBROWSER\tCREATED\tLAST SEEN\tEXPIRES")
	for p := (sesame.Paging{Limit: sesame.MaxLimit}); ; {
		list, next, err := o.Accounts.AllSessions(operator(ctx), id, p)
		if err != nil {
			return explain(err)
		}
		for _, s := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%.40s\t%s\t%s\t%s\n", s.ID, s.Username, s.IP, s.UserAgent,
				stamp(s.CreatedAt), stamp(s.LastSeenAt), stamp(s.IdleExpiresAt)) // never after ExpiresAt
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	return w.Flush()
}

func sessionsRevoke(ctx context.Context, e cmdEnv, args []string) error {
	var user string
	var all bool
	cfg, rest, err := commandConfig(e, args, "sesame sessions revoke", "ID… | --user USERNAME | --all [flags]",
		"End sessions by their public id (as sesame sessions list shows it), every session of a user, or every\n"+
			"session of every user (after a suspected compromise: everyone signs in again).",
		func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "end every session of `USERNAME`")
			fs.BoolVar(&all, "all", false, "end every session of every user")
		})
	if err != nil {
		return err
	}
	given := 0
	for _, g := range []bool{user != "", len(rest) > 0, all} {
		if g {
			given++
		}
	}
	if given != 1 {
		return badUsage{errors.New("give session ids, --user USERNAME or --all: one of them")}
	}
	if all {
		return revokeEverySession(ctx, cfg, e)
	}
	if user != "" {
		o, u, err := named(ctx, cfg, e, user)
		if err != nil {
			return err
		}
		defer o.Close()
		n, err := o.Accounts.RevokeUserSessions(operator(ctx), u.ID)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(e.stdout, "%d sessions of %s ended\n", n, u.Username)
		return nil
	}
	o, err := openForCommand(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer o.Close()
	var failed []error
	for _, id := range rest {
		err := o.Accounts.RevokeSession(operator(ctx), id)
		switch {
		case errors.Is(err, sesame.ErrNotFound):
			failed = append(failed, fmt.Errorf("no live session %s", id))
		case err != nil:
			return explain(err)
		default:
			fmt.Fprintf(e.stdout, "session %s ended\n", id)
		}
	}
	return errors.Join(failed...)
}

// revokeEverySession ends every live session, a page at a time, each
// audited like any revocation by the operator.
func revokeEverySession(ctx context.Context, cfg Config, e cmdEnv) error {
	o, err := openForCommand(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer o.Close()
	n := 0
	for {
		// Always the first page: each pass ends what it lists.
		list, _, err := o.Accounts.AllSessions(operator(ctx), 0, sesame.Paging{Limit: sesame.MaxLimit})
		if err != nil {
			return explain(err)
		}
		if len(list) == 0 {
			break
		}
		for _, s := range list {
			if err := o.Accounts.RevokeSession(operator(ctx), s.ID); err != nil && !errors.Is(err, sesame.ErrNotFound) {
				return explain(err)
			}
			n++
		}
	}
	fmt.Fprintf(e.stdout, "%d sessions ended\n", n)
	return nil
}
