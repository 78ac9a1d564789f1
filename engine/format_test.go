package engine

import (
	"testing"

	"github.com/flosch/pongo2/v6"
	"golang.org/x/text/language"
)

func TestMoneyAndDatesFollowTheLanguage(t *testing.T) {
	for _, c := range []struct{ lang, amount, currency, want string }{
		{"en-US", "1234.5", "USD", "$1,234.50"},
		{"en-US", "-0.004", "USD", "$0.00"},
		{"en-US", "-12", "USD", "-$12.00"},
		{"en-US", "1234567.891", "EUR", "€1,234,567.89"},
		{"de-DE", "1234.5", "EUR", "1.234,50 €"},
		{"de-CH", "1234.5", "CHF", "1’234.50 CHF"},
		{"fr-FR", "1234.5", "EUR", "1\u00a0234,50 €"},
		{"en-US", "1000", "JPY", "¥1,000"},
		{"en-US", "12.5", "", "12.50"},
		{"en-US", "12345678901234567890.12", "USD", "$12,345,678,901,234,567,890.12"},
		{"en-US", "not a number", "USD", "not a number"},
	} {
		t.Run(c.lang+" "+c.amount+" "+c.currency, func(t *testing.T) {
			got := newMoneyFormat(language.MustParse(c.lang)).format(c.amount, c.currency)
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
	for _, c := range []struct {
		lang, in string
		withTime bool
		want     string
	}{
		{"en-US", "2026-11-29", false, "Nov 29, 2026"},
		{"en-GB", "2026-11-29", false, "29 Nov 2026"},
		{"de-DE", "2026-11-29T14:05:00Z", false, "29.11.2026"},
		{"de-DE", "2026-11-29T14:05:00+01:00", true, "29.11.2026 13:05 UTC"},
		{"en-US", "2026-11-29T14:05:00Z", true, "Nov 29, 2026, 2:05 PM UTC"},
		{"ja", "2026-11-29", false, "2026-11-29"},
		{"en-US", "garbage", false, "garbage"},
	} {
		t.Run(c.lang+" "+c.in, func(t *testing.T) {
			if got := formatDate(language.MustParse(c.lang), pongo2.AsValue(c.in), c.withTime); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
