package demo

import portal "github.com/openportal/portal"

// The demo set is plain data rather than generated so that it is the same
// on every machine and the README can list it. Change it here and in the
// README together.

// company is the one legal entity everything below belongs to, named after
// the Contoso company of the Dynamics 365 demo data.
const (
	companyCode = "USMF"
	companyName = "Contoso Entertainment System USA"
)

// priceList is a price list of company; its prices are derived from the
// products' list prices (see Load).
type priceList struct {
	code, currency string
}

// priceLists holds one list per currency that accounts use.
var priceLists = []priceList{
	{"RETAIL-USD", "USD"},
	{"RETAIL-EUR", "EUR"},
}

// eurPerUSD converts the USD list prices into the EUR list. A fixed rate
// rather than a real one: demo prices must not change between runs.
const eurPerUSD = "0.92"

type address struct {
	description, street, city, postalCode, country string
}

type account struct {
	number, name    string
	invoiceAccount  string // "" when the account pays its own invoices
	currency        string
	priceList       string
	shipToCountry   string
	language        string
	deliveryAddress []address
}

// accounts are saved in this order; an invoice account comes before the
// accounts that use it, since SaveCustomerAccount requires it to exist.
var accounts = []account{
	{
		number: "US-001", name: "Forest Wholesales", currency: "USD", priceList: "RETAIL-USD",
		shipToCountry: "US", language: "en-US",
		deliveryAddress: []address{
			{"Main warehouse", "123 Coffee Street", "Redmond, WA", "98052", "US"},
			{"Seattle store", "1500 Pine Street", "Seattle, WA", "98101", "US"},
		},
	},
	{
		number: "US-003", name: "Sunrise Retail Holdings", currency: "USD", priceList: "RETAIL-USD",
		shipToCountry: "US", language: "en-US",
		deliveryAddress: []address{
			{"Head office", "1 Sunrise Plaza", "Chicago, IL", "60601", "US"},
		},
	},
	{
		number: "US-002", name: "Sunrise Retail", invoiceAccount: "US-003", currency: "USD", priceList: "RETAIL-USD",
		shipToCountry: "US", language: "en-US",
		deliveryAddress: []address{
			{"Main warehouse", "800 Industrial Boulevard", "Joliet, IL", "60432", "US"},
			{"Downtown store", "200 South State Street", "Chicago, IL", "60604", "US"},
		},
	},
	{
		number: "DE-001", name: "Alpine Handel GmbH", currency: "EUR", priceList: "RETAIL-EUR",
		shipToCountry: "DE", language: "de-DE",
		deliveryAddress: []address{
			{"Main warehouse", "Industriestraße 12", "München", "80939", "DE"},
			{"Augsburg store", "Maximilianstraße 40", "Augsburg", "86150", "DE"},
		},
	},
}

// product is an item of the catalogue. units lists the units it is sold
// in, the default unit first, each other one as "code=n" meaning one of it
// holds n default units; its price is n times the default unit's, so a box
// of 12 costs exactly 12 each (no volume discount, to keep prices easy to
// check by hand). n may have decimals: a 0.5 kg roll of solder wire.
type product struct {
	number, name string
	price        string // in USD, per default unit, 2 decimals
	units        []string
}

func u(units ...string) []string { return units }

// products are numbered 1000 up by group: audio, headphones, TV and video,
// gaming, cables, bulk goods sold by length, weight or volume, accessories.
var products = []product{
	{"1000", "Surround sound receiver", "429.00", u("ea", "pallet=24")},
	{"1001", "Home theater system 5.1", "899.00", u("ea", "pallet=12")},
	{"1002", "Soundbar 3.1 with wireless subwoofer", "349.00", u("ea", "pallet=20")},
	{"1003", "Bookshelf speakers", "249.00", u("pair", "pallet=40")},
	{"1004", "Floorstanding speaker", "599.00", u("ea", "pair=2", "pallet=10")},
	{"1005", "Subwoofer 12 in", "379.00", u("ea", "pallet=16")},
	{"1006", "Stereo amplifier 2 x 100 W", "289.00", u("ea", "pallet=24")},
	{"1007", "Turntable with USB output", "219.00", u("ea", "pallet=30")},
	{"1008", "Wireless multiroom speaker", "129.00", u("ea", "box=6")},
	{"1009", "Portable Bluetooth speaker", "59.90", u("ea", "box=12", "pallet=480")},

	{"1010", "Over-ear headphones", "149.00", u("ea", "box=10")},
	{"1011", "Noise-cancelling headphones", "279.00", u("ea", "box=10")},
	{"1012", "In-ear headphones", "39.90", u("ea", "box=24")},
	{"1013", "Wireless earbuds", "119.00", u("ea", "box=24")},
	{"1014", "Gaming headset", "89.90", u("ea", "box=10")},

	{"1015", "LED TV 55 in 4K", "649.00", u("ea", "pallet=8")},
	{"1016", "LED TV 65 in 4K", "999.00", u("ea", "pallet=6")},
	{"1017", "OLED TV 55 in", "1399.00", u("ea", "pallet=8")},
	{"1018", "Projector Full HD", "549.00", u("ea", "pallet=30")},
	{"1019", "Projection screen 100 in", "189.00", u("ea", "pallet=20")},
	{"1020", "Blu-ray player", "119.00", u("ea", "box=5", "pallet=40")},
	{"1021", "Media streaming box", "79.90", u("ea", "box=10")},
	{"1022", "TV wall mount 32-65 in", "49.90", u("ea", "box=5")},
	{"1023", "TV stand with cable management", "229.00", u("ea", "pallet=15")},
	{"1024", "Projector replacement lamp", "129.00", u("ea", "box=4")},

	{"1025", "Game console", "499.00", u("ea", "pallet=36")},
	{"1026", "Wireless game controller", "59.90", u("ea", "box=12")},
	{"1027", "Racing wheel with pedals", "299.00", u("ea", "box=4")},
	{"1028", "Charging dock for controllers", "29.90", u("ea", "box=12")},

	{"1029", "HDMI cable 1 m", "7.90", u("ea", "pack=10", "box=50")},
	{"1030", "HDMI cable 2 m", "9.90", u("ea", "pack=10", "box=50")},
	{"1031", "HDMI cable 5 m", "19.90", u("ea", "pack=10")},
	{"1032", "Optical audio cable 2 m", "8.50", u("ea", "pack=10")},
	{"1033", "USB-C cable 1 m", "6.90", u("ea", "pack=10", "box=50")},
	{"1034", "RCA stereo cable 1.5 m", "5.90", u("ea", "pack=10")},
	{"1035", "HDMI switch 4-port", "39.90", u("ea", "box=10")},
	{"1036", "USB-C to HDMI adapter", "24.90", u("ea", "box=20")},
	{"1037", "Power strip 6-outlet with surge protection", "34.90", u("ea", "box=10")},

	{"1038", "Speaker wire 2 x 1.5 mm2", "0.85", u("m", "roll=100")},
	{"1039", "Speaker wire 2 x 2.5 mm2", "1.25", u("m", "roll=100")},
	{"1040", "Coaxial cable RG6", "0.65", u("m", "roll=100")},
	{"1041", "Network cable Cat6", "0.45", u("m", "roll=305")},
	{"1042", "Cable duct 40 x 40 mm", "3.20", u("m", "pack=20")},
	{"1043", "Bubble wrap 50 cm", "0.60", u("m", "roll=100")},
	{"1044", "Solder wire lead-free 1 mm", "64.00", u("kg", "roll=0.5")},
	{"1045", "Packing peanuts anti-static", "4.80", u("kg", "case=5")},
	{"1046", "Screen cleaning fluid", "8.40", u("l", "case=10")},
	{"1047", "Acoustic foam panel 50 mm", "24.50", u("m2", "pack=2.88")},

	{"1048", "AA alkaline batteries, pack of 4", "4.90", u("pack", "box=24")},
	{"1049", "AAA alkaline batteries, pack of 4", "4.50", u("pack", "box=24")},
	{"1050", "Universal remote control", "29.90", u("ea", "box=10")},
	{"1051", "Speaker stands", "99.00", u("pair", "pallet=30")},
	{"1052", "Screen cleaning kit", "12.90", u("ea", "box=24")},
	{"1053", "Microfibre cloth", "2.50", u("ea", "pack=10")},
	{"1054", "Cable ties 200 mm, pack of 100", "3.90", u("pack", "box=20")},
	{"1055", "Contact cleaner spray", "9.90", u("ea", "box=12")},
	{"1056", "Car audio head unit", "189.00", u("ea", "box=6")},
	{"1057", "Car speakers 6.5 in", "79.00", u("pair", "box=6")},
	{"1058", "Dynamic vocal microphone", "99.00", u("ea", "box=10")},
	{"1059", "DJ controller 2-channel", "349.00", u("ea", "pallet=30")},
}

// contact is a demo sign-in. Passwords are fixed and printed on purpose:
// this data is for trying the portal out, never for production.
type contact struct {
	email, password, firstName, lastName string
	account                              string // "" for the administrator
	role                                 string
}

// contacts cover every built-in role a person holds: one administrator, a
// customer representative and two authorized users of the same account (so
// the representative sees orders that are not its own), and authorized
// users of a EUR account and of an account invoiced to another one.
var contacts = []contact{
	{"admin@portal.example", "demo-admin-pass", "Portal", "Administrator", "", portal.RoleAdministrators},
	{"rep@forest.example", "demo-rep-pass", "Rachel", "Stone", "US-001", portal.RoleCustomerRepresentative},
	{"alice@forest.example", "demo-alice-pass", "Alice", "Walker", "US-001", portal.RoleAuthorizedUser},
	{"bob@forest.example", "demo-bob-pass", "Bob", "Kelly", "US-001", portal.RoleAuthorizedUser},
	{"carla@alpine.example", "demo-carla-pass", "Carla", "Huber", "DE-001", portal.RoleAuthorizedUser},
	{"dan@sunrise.example", "demo-dan-pass", "Dan", "Brooks", "US-002", portal.RoleAuthorizedUser},
}
