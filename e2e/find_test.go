package e2e

import "fmt"

// This file finds things on a page the way a person (or a screen reader)
// does: fields by their label, buttons and links by their name, forms by
// where they post, navigation by its landmark. No CSS class, id or layout
// is used, so that a restyle of the pages does not break the tests.

// find is a way to find one element: a description for messages and a
// JavaScript expression that gives the element, or null or undefined.
type find struct {
	what string
	js   string
}

// findLib is the JavaScript the expressions share. nameOf approximates the
// accessible name of an element: aria-labelledby, aria-label, its labels,
// the value of an input button, else its text.
const findLib = `
const norm = s => (s ?? '').replace(/\s+/g, ' ').trim();
const shown = el => !el.checkVisibility || el.checkVisibility();
const labelText = l => {
	const c = l.cloneNode(true);
	c.querySelectorAll('input, select, textarea').forEach(e => e.remove());
	return norm(c.textContent);
};
const nameOf = el => {
	const by = el.getAttribute('aria-labelledby');
	if (by) return norm(by.split(/\s+/).map(id => document.getElementById(id)?.textContent).join(' '));
	if (el.hasAttribute('aria-label')) return norm(el.getAttribute('aria-label'));
	if (el.labels && el.labels.length) return norm([...el.labels].map(labelText).join(' '));
	if (el.matches('input[type=submit], input[type=button]')) return norm(el.value);
	return norm(el.textContent);
};
const named = (scope, sel, name) => scope ? [...scope.querySelectorAll(sel)].find(el => shown(el) && nameOf(el) === name) : undefined;
const formTo = action => [...document.forms].find(f => f.getAttribute('action') === action);
const landmark = name => [...document.querySelectorAll('nav, [role=navigation]')].find(n => nameOf(n) === name);
const fields = 'input:not([type=hidden]), select, textarea';
const buttons = 'button, input[type=submit], input[type=button]';
`

func lib(expr string) string { return "(() => {" + findLib + "return " + expr + ";})()" }

// field finds the form field labelled label.
func field(label string) find {
	return find{fmt.Sprintf("field %q", label), lib(fmt.Sprintf("named(document, fields, %s)", jsString(label)))}
}

// button finds the first button named name.
func button(name string) find {
	return find{fmt.Sprintf("button %q", name), lib(fmt.Sprintf("named(document, buttons, %s)", jsString(name)))}
}

// buttonIn finds the button named name in the form that posts to action.
func buttonIn(action, name string) find {
	return find{fmt.Sprintf("button %q of the form to %s", name, action),
		lib(fmt.Sprintf("named(formTo(%s), buttons, %s)", jsString(action), jsString(name)))}
}

// buttonBeside finds the button named name in the form of the field
// labelled label: "Add to cart" beside "Quantity of Sesame mug".
func buttonBeside(label, name string) find {
	return find{fmt.Sprintf("button %q beside field %q", name, label),
		lib(fmt.Sprintf("named(named(document, fields, %s)?.form, buttons, %s)", jsString(label), jsString(name)))}
}

// link finds the first link named name.
func link(name string) find {
	return find{fmt.Sprintf("link %q", name), lib(fmt.Sprintf("named(document, 'a[href]', %s)", jsString(name)))}
}

// navLink finds the link named name in the navigation landmark nav; a
// link whose name goes on after a comma counts ("Cart, 3 items" is the
// link "Cart").
func navLink(nav, name string) find {
	return find{fmt.Sprintf("link %q in the %s navigation", name, nav),
		lib(fmt.Sprintf(`(() => { const l = landmark(%s), n = %s;
			return l && [...l.querySelectorAll('a[href]')].find(el => shown(el) && (nameOf(el) === n || nameOf(el).startsWith(n + ',')));
		})()`, jsString(nav), jsString(name)))}
}
