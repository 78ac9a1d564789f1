package engine

import (
	"strings"
	"sync"
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
	f := newMoneyFormat(tag)
	_ = pongo2.ReplaceFilter("money", func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		return pongo2.AsValue(f.format(in.String(), param.String())), nil
	})
	_ = pongo2.ReplaceFilter("date", func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		return pongo2.AsValue(formatDate(tag, in, false)), nil
	})
	_ = pongo2.ReplaceFilter("datetime", func(in, param *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		return pongo2.AsValue(formatDate(tag, in, true)), nil
	})
}

// moneyFormat formats amounts for one language. The separators and
// currency symbols come from x/text once; each amount is then formatted
// from its decimal digits (never through a float), which is also far
// cheaper than a message printer per amount.
type moneyFormat struct {
	tag        language.Tag
	group, dec string
	prefix     bool // symbol before the amount (English)
	mu         sync.Mutex
	symbols    map[string]string
}

func newMoneyFormat(tag language.Tag) *moneyFormat {
	p := message.NewPrinter(tag)
	s := []rune(p.Sprint(number.Decimal(1234.5, number.Scale(1)))) // "1,234.5", "1.234,5", "1 234,5"
	f := &moneyFormat{tag: tag, group: ",", dec: ".", symbols: map[string]string{}}
	if len(s) == 7 {
		f.group, f.dec = string(s[1]), string(s[5])
	} else if len(s) == 6 {
		f.group, f.dec = "", string(s[4])
	}
	base, _ := tag.Base()
	f.prefix = base.String() == "en"
	return f
}

func (f *moneyFormat) symbol(code string) (sym string, scale int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.symbols[code]; ok {
		unit, _ := currency.ParseISO(code)
		scale, _ := currency.Standard.Rounding(unit)
		return s, scale, s != ""
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		f.symbols[code] = ""
		return "", 2, false
	}
	sym = message.NewPrinter(f.tag).Sprint(currency.NarrowSymbol(unit))
	f.symbols[code] = sym
	scale, _ = currency.Standard.Rounding(unit)
	return sym, scale, true
}

// format formats an exact decimal amount (the API's Decimal string) in the
// currency's minor units: $1,234.50 or 1.234,50 €.
func (f *moneyFormat) format(amount, code string) string {
	amount = strings.TrimSpace(amount)
	if amount == "" {
		return ""
	}
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return amount
	}
	sym, scale, known := f.symbol(code)
	digits := d.Abs().StringFixed(int32(scale)) // "1234.50"
	intPart, frac, _ := strings.Cut(digits, ".")
	var b strings.Builder
	if d.IsNegative() && !d.Round(int32(scale)).IsZero() {
		b.WriteByte('-')
	}
	if known && f.prefix {
		b.WriteString(sym)
		if len([]rune(sym)) > 1 {
			b.WriteByte(' ')
		}
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(f.group)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(f.dec)
		b.WriteString(frac)
	}
	switch {
	case !known:
		if code != "" {
			b.WriteString(" " + code)
		}
	case !f.prefix:
		b.WriteString(" " + sym)
	}
	return b.String()
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
