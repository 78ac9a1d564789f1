package graph

import (
	"github.com/openportal/portal/orders"
)

// orderFields and lineFields name, for each field of the GraphQL types
// SalesOrder and SalesOrderLine, the fields of orders.Order and
// orders.Line its resolver reads: a page of orders reads only the columns
// its selection needs (orders.Fields). A field missing here reads every
// column (pageFields), so a new field is never served from a column left
// unread; TestOrderFieldsCoverSchema fails until it is added.
var (
	orderFields = map[string][]string{
		"__typename":                 nil,
		"id":                         {"ID"},
		"number":                     {"Number"},
		"status":                     {"Status"},
		"syncState":                  {"SyncState"},
		"erpOrderNumber":             {"ErpOrderNumber"},
		"company":                    {"LegalEntityID"},
		"customerAccount":            {"CustomerAccountID"},
		"invoiceAccount":             {"InvoiceAccountID"},
		"contactPerson":              {"ContactID"},
		"currency":                   {"Currency"},
		"priceList":                  {"PriceListID"},
		"language":                   {"Language"},
		"shipToCountry":              {"ShipToCountry"},
		"deliveryAddressDescription": {"DeliveryAddressDescription"},
		"requestedReceiptDate":       {"RequestedReceiptDate"},
		"customerRequisition":        {"CustomerRequisition"},
		"lines":                      nil, // the lines' own fields: lineFields
		"totalAmount":                {"TotalAmount"},
		"createdAt":                  {"CreatedAt"},
		"submittedAt":                {"SubmittedAt"},
		"erpEvents":                  {"ID"},
	}
	lineFields = map[string][]string{
		"__typename":                 nil,
		"id":                         {"ID"},
		"lineNumber":                 {"LineNumber"},
		"product":                    {"ProductID"},
		"quantity":                   {"Quantity"},
		"unit":                       {"Unit"},
		"unitPrice":                  {"UnitPrice"},
		"amount":                     {"Amount"},
		"shipToCountry":              {"ShipToCountry"},
		"deliveryAddressDescription": {"DeliveryAddressDescription"},
	}
)

// pageFields is what a page of orders must read for the fields sel
// selects: their columns, and the lines' when it selects lines.
func pageFields(sel orderSelection) orders.Fields {
	f := orders.Fields{Order: needs(orderFields, sel.order)}
	if sel.order["lines"] {
		f.Lines = true
		f.Line = needs(lineFields, sel.line)
	}
	return f
}

// needs is the Go fields the selected GraphQL fields read, by fields; nil
// (every field) when one of them is not in fields.
func needs(fields map[string][]string, selection map[string]bool) []string {
	out := []string{}
	for name := range selection {
		goFields, ok := fields[name]
		if !ok {
			return nil
		}
		out = append(out, goFields...)
	}
	return out
}
