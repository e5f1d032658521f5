// Command inventory serves the shop's stock levels over HTTP on $PORT (default 8080).
package main

import (
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"os"
	"sort"
)

// Stock is how many of each SKU the warehouse holds.
type Stock map[string]int

// ErrOutOfStock is returned when fewer items are left than asked for.
var ErrOutOfStock = errors.New("out of stock")

// ErrUnknownSKU is returned for a SKU the warehouse does not carry.
var ErrUnknownSKU = errors.New("unknown SKU")

// Reserve takes n items of sku out of the stock.
func (s Stock) Reserve(sku string, n int) error {
	left, ok := s[sku]
	if !ok {
		return ErrUnknownSKU
	}
	if left < n {
		return ErrOutOfStock
	}
	s[sku] = left - n
	return nil
}

type item struct {
	SKU   string `json:"sku"`
	Stock int    `json:"stock"`
}

// Items lists the stock by SKU, in order.
func (s Stock) Items() []item {
	items := make([]item, 0, len(s))
	for sku, left := range s {
		items = append(items, item{SKU: sku, Stock: left})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].SKU < items[j].SKU })
	return items
}

func writeJSON(w http.ResponseWriter, value any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(value); err != nil {
		log.Printf("writing the response: %v", err)
	}
}

func handler(stock Stock) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/api/stock", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, stock.Items())
	})
	return mux
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	stock := Stock{"mug-blue": 12, "tee-large": 40, "poster-a2": 3}
	log.Printf("inventory listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, handler(stock)))
}
