package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

type introType struct {
	Kind   string
	Name   *string
	OfType *introType
}

type introInput struct {
	Name string
	Type introType
}

// TestNoSelfRegistration walks every mutation of the schema as an anonymous
// visitor, with arguments of the right types, and checks that none of them
// made a contact, a sign-in, a session or an invitation. New mutations are
// walked as soon as they are in the schema.
func TestNoSelfRegistration(t *testing.T) {
	s := newSite(t, nil)
	admin := s.admin()
	identityFixture(admin)
	// A contact waiting for its invitation: the walk must not give it a
	// sign-in either.
	var c struct{ CreateContact struct{ ID string } }
	admin.ok(createContact, contactInput("waiting@forest.example", "US-001"), &c)

	var schema struct {
		Schema struct {
			MutationType struct {
				Fields []struct {
					Name string
					Args []introInput
					Type introType
				}
			}
			Types []struct {
				Name        string
				Kind        string
				InputFields []introInput
				EnumValues  []struct{ Name string }
			}
		} `json:"__schema"`
	}
	// Introspection is for administrators (the schema is the same for all).
	admin.ok(`{ __schema {
		mutationType { fields { name args { name type { ...T } } type { ...T } } }
		types { name kind inputFields { name type { ...T } } enumValues { name } } }
	}
	fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }`, nil, &schema)

	inputs := map[string][]introInput{}
	enums := map[string]string{}
	for _, ty := range schema.Schema.Types {
		switch ty.Kind {
		case "INPUT_OBJECT":
			inputs[ty.Name] = ty.InputFields
		case "ENUM":
			enums[ty.Name] = ty.EnumValues[0].Name
		}
	}
	var value func(t introType) any
	value = func(ty introType) any {
		switch ty.Kind {
		case "NON_NULL":
			return value(*ty.OfType)
		case "LIST":
			return []any{value(*ty.OfType)}
		case "ENUM":
			return enums[*ty.Name]
		case "INPUT_OBJECT":
			obj := map[string]any{}
			for _, f := range inputs[*ty.Name] {
				obj[f.Name] = value(f.Type)
			}
			return obj
		}
		switch *ty.Name {
		case "ID":
			return c.CreateContact.ID
		case "Int":
			return 1
		case "Boolean":
			return true
		case "Decimal":
			return "1"
		case "Date":
			return "2030-01-01"
		case "DateTime":
			return "2030-01-01T00:00:00Z"
		}
		return "walker" + fmt.Sprint(len(inputs)) + "@forest.example"
	}
	var typeString func(t introType) string
	typeString = func(ty introType) string {
		switch ty.Kind {
		case "NON_NULL":
			return typeString(*ty.OfType) + "!"
		case "LIST":
			return "[" + typeString(*ty.OfType) + "]"
		}
		return *ty.Name
	}
	baseKind := func(ty introType) string {
		for ty.OfType != nil {
			ty = *ty.OfType
		}
		return ty.Kind
	}

	before := identitySnapshot(t, s)
	walked := 0
	for _, m := range schema.Schema.MutationType.Fields {
		var params, args []string
		vars := map[string]any{}
		for _, a := range m.Args {
			params = append(params, "$"+a.Name+": "+typeString(a.Type))
			args = append(args, a.Name+": $"+a.Name)
			vars[a.Name] = value(a.Type)
		}
		q := "mutation"
		if len(params) > 0 {
			q += "(" + strings.Join(params, ", ") + ")"
		}
		q += " { " + m.Name
		if len(args) > 0 {
			q += "(" + strings.Join(args, ", ") + ")"
		}
		if k := baseKind(m.Type); k == "OBJECT" || k == "INTERFACE" || k == "UNION" {
			q += " { __typename }"
		}
		q += " }"
		r := s.anonymous().do(q, vars)
		walked++
		// requestPasswordReset answers true to anyone, whatever the email,
		// so as not to reveal which exist; the snapshot below checks that
		// it changed nothing.
		if len(r.Errors) == 0 && m.Name != "signOut" && m.Name != "ping" && m.Name != "requestPasswordReset" {
			t.Errorf("anonymous %s succeeded: %s", m.Name, r.Data)
		}
	}
	if walked < 15 {
		t.Fatalf("walked only %d mutations; the introspection is broken", walked)
	}
	// Sign-in failures are audited; nothing else may change.
	if after := identitySnapshot(t, s); after != before {
		t.Errorf("anonymous mutations changed identity data:\nbefore %s\nafter  %s", before, after)
	}
	var withPassword int
	s.db.NewRaw("SELECT count(*) FROM contact WHERE password_hash IS NOT NULL").Scan(context.Background(), &withPassword)
	if withPassword != 1 {
		t.Errorf("%d contacts can sign in, want only the administrator", withPassword)
	}
}
