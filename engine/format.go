package engine

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/flosch/pongo2/v6"
	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// pongo2 resolves a filter when it parses a template, and a filter sees
// only its input and parameter. So the language-aware filters are made for
// one language and installed for the duration of a compile (compiles are
// serialized), and templates are compiled per language.

func setLanguage(lang string) {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.AmericanEnglish
	}
	p := message.NewPrinter(tag)
	_ = pongo2.ReplaceFilter("money", func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		return pongo2.AsValue(formatMoney(p, tag, in.String(), param.String())), nil
	})
	_ = pongo2.ReplaceFilter("date", func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		return pongo2.AsValue(formatDate(tag, in, false)), nil
	})
	_ = pongo2.ReplaceFilter("datetime", func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		return pongo2.AsValue(formatDate(tag, in, true)), nil
	})
}

// Placeholders until a compile installs the language's own.
func filterMoney(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	return pongo2.AsValue(in.String() + " " + param.String()), nil
}

func filterDate(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	return in, nil
}

func filterDateTime(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	return in, nil
}

// formatMoney formats an exact decimal amount (the API's Decimal string)
// in the currency's minor units for the language: $1,234.50 or 1.234,50 €.
func formatMoney(p *message.Printer, tag language.Tag, amount, code string) string {
	amount = strings.TrimSpace(amount)
	if amount == "" {
		return ""
	}
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return amount
	}
	scale := 2
	unit, cerr := currency.ParseISO(code)
	if cerr == nil {
		s, _ := currency.Standard.Rounding(unit)
		scale = s
	}
	// Grouping and separators from the language; the digits from the
	// decimal, never through a float.
	neg := d.IsNegative()
	d = d.Abs().Round(int32(scale))
	intPart := d.Truncate(0)
	grouped := p.Sprint(number.Decimal(intPart.IntPart()))
	out := grouped
	if scale > 0 {
		frac := d.Sub(intPart).StringFixed(int32(scale)) // "0.50"
		sep := p.Sprint(number.Decimal(1.5, number.Scale(1)))
		out += sep[1:2] + frac[2:]
	}
	if neg {
		out = "-" + out
	}
	if cerr != nil {
		return strings.TrimSpace(out + " " + code)
	}
	sym := p.Sprint(currency.NarrowSymbol(unit))
	base, _ := tag.Base()
	if base.String() == "en" {
		if len([]rune(sym)) == 1 {
			return sym + out
		}
		return sym + " " + out
	}
	return out + " " + sym
}

// dateLayouts by base language (en-US has its own); ISO elsewhere.
var dateLayouts = map[string]string{
	"en-US": "Jan 2, 2006", "en": "2 Jan 2006", "de": "02.01.2006", "fr": "02/01/2006", "es": "02/01/2006",
	"it": "02/01/2006", "pt": "02/01/2006", "nl": "02-01-2006", "da": "02.01.2006", "nb": "02.01.2006",
	"sv": "2006-01-02", "fi": "2.1.2006", "pl": "02.01.2006", "cs": "2. 1. 2006",
}

func formatDate(tag language.Tag, in *pongo2.Value, withTime bool) string {
	var t time.Time
	switch v := in.Interface().(type) {
	case time.Time:
		t = v
	default:
		s := strings.TrimSpace(in.String())
		if s == "" {
			return ""
		}
		var err error
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			if t, err = time.Parse("2006-01-02", s); err != nil {
				return s
			}
		}
	}
	base, _ := tag.Base()
	layout, ok := dateLayouts[tag.String()]
	if !ok {
		if layout, ok = dateLayouts[base.String()]; !ok {
			layout = "2006-01-02"
		}
	}
	if !withTime {
		return t.Format(layout)
	}
	t = t.UTC()
	if tag.String() == "en-US" {
		return t.Format(layout+", 3:04 PM") + " UTC"
	}
	return t.Format(layout+" 15:04") + " UTC"
}

var staticURL atomic.Pointer[func(string) string]

// SetStaticURL sets how the static filter names a static file
// ({{ "site.css"|static }} → /static/site.css?v=…); the site sets it.
func SetStaticURL(f func(string) string) { staticURL.Store(&f) }

func filterStatic(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
	if f := staticURL.Load(); f != nil {
		return pongo2.AsValue((*f)(in.String())), nil
	}
	return pongo2.AsValue("/static/" + strings.TrimPrefix(in.String(), "/")), nil
}
