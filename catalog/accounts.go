package catalog

import (
	"context"
	"strings"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/paging"
	"github.com/openportal/portal/policies"
)

// AccountFilter selects a page of customer accounts.
type AccountFilter struct {
	// Company is a legal entity code.
	Company *string
	// Search matches the account number or name, case-insensitively.
	Search *string
	paging.Args
}

// CustomerAccounts returns a page of the accounts the viewer may read, by
// company code and account number: what the contact form's account picker
// offers. Returns EINVALID for a bad page size or cursor.
func (s *Service) CustomerAccounts(ctx context.Context, f AccountFilter) (paging.Page[*CustomerAccount], error) {
	var page paging.Page[*CustomerAccount]
	var aCompany, aNumber string
	limit, hasAfter, err := f.Start(&aCompany, &aNumber)
	if err != nil {
		return page, err
	}
	scope := s.Policy.ReadScope(ctx, policies.TableCustomerAccount)
	if scope.None() {
		return paging.Page[*CustomerAccount]{Items: []*CustomerAccount{}}, nil
	}
	w, args := scope.Where(policies.AccountColumns("a"))
	where := []string{w}
	if c := strings.TrimSpace(deref(f.Company)); c != "" {
		where = append(where, "le.code = ?")
		args = append(args, c)
	}
	if q := strings.TrimSpace(deref(f.Search)); q != "" {
		where = append(where, "(a.account_number || ' ' || a.name) ILIKE ?")
		args = append(args, "%"+db.EscapeLike(q)+"%")
	}
	from := " FROM customer_account a JOIN legal_entity le ON le.id = a.legal_entity_id WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.DB.NewRaw("SELECT count(*)"+from, args...).Scan(ctx, &total); err != nil {
		return page, err
	}
	q := "SELECT a.id, a.legal_entity_id, a.account_number, a.name, a.invoice_account_id, a.currency, a.price_list_id, " +
		"a.ship_to_country, a.language, le.code AS company_code" + from
	if hasAfter {
		q += " AND (le.code, a.account_number) > (?, ?)"
		args = append(args, aCompany, aNumber)
	}
	q += " ORDER BY le.code, a.account_number LIMIT ?"
	args = append(args, limit+1)
	var rows []struct {
		CustomerAccount
		CompanyCode string
	}
	if err := s.DB.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return page, err
	}
	items := make([]*CustomerAccount, len(rows))
	codes := map[*CustomerAccount]string{}
	for i := range rows {
		items[i] = &rows[i].CustomerAccount
		codes[items[i]] = rows[i].CompanyCode
	}
	return paging.Trim(items, limit, func(a *CustomerAccount) string { return paging.Cursor(codes[a], a.AccountNumber) }, total), nil
}
