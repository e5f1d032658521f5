package main

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
)

func TestHealth(t *testing.T) {
	response := httptest.NewRecorder()
	handler(Stock{}).ServeHTTP(response, httptest.NewRequest("GET", "/healthz", nil))
	if response.Code != 200 || response.Body.String() != "{\"status\":\"ok\"}\n" {
		t.Fatalf("GET /healthz: %d %q", response.Code, response.Body.String())
	}
}

func TestStockIsListedBySKU(t *testing.T) {
	response := httptest.NewRecorder()
	handler(Stock{"b": 1, "a": 2}).ServeHTTP(response, httptest.NewRequest("GET", "/api/stock", nil))
	var items []item
	if err := json.Unmarshal(response.Body.Bytes(), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].SKU != "a" || items[1].Stock != 1 {
		t.Fatalf("GET /api/stock: %+v", items)
	}
}

func TestReserve(t *testing.T) {
	cases := []struct {
		name string
		sku  string
		n    int
		want error
		left int
	}{
		{"in stock", "mug", 2, nil, 1},
		{"more than is left", "mug", 4, ErrOutOfStock, 3},
		{"unknown SKU", "cap", 1, ErrUnknownSKU, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stock := Stock{"mug": 3}
			if err := stock.Reserve(c.sku, c.n); !errors.Is(err, c.want) {
				t.Fatalf("Reserve(%q, %d) = %v, want %v", c.sku, c.n, err, c.want)
			}
			if stock["mug"] != c.left {
				t.Fatalf("%d mugs left, want %d", stock["mug"], c.left)
			}
		})
	}
}
