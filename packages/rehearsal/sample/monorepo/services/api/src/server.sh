#!/bin/sh
# The shop's API: answers one HTTP/1.0 request read from standard input (busybox `nc -ll -e` runs it for
# each connection). Routes: /healthz, /api/version, /api/items.
cr=$'\r'

respond() {
  printf 'HTTP/1.0 %s\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
    "$1" "${#2}" "$2"
}

items() {
  printf '[{"id":1,"name":"keyboard","price":49.5},{"id":2,"name":"mouse","price":19.99},{"id":3,"name":"monitor","price":189}]'
}

read -r method target _version
# The headers, up to the blank line, are not used.
while read -r header && [ "${header%"$cr"}" != "" ]; do :; done
path=${target%%\?*}
case "$method $path" in
  "GET /healthz") respond '200 OK' '{"status":"ok"}' ;;
  "GET /api/version") respond '200 OK' "{\"version\":\"${VERSION:-dev}\"}" ;;
  "GET /api/items") respond '200 OK' "$(items)" ;;
  "GET "*) respond '404 Not Found' '{"error":"not found"}' ;;
  *) respond '405 Method Not Allowed' '{"error":"method not allowed"}' ;;
esac
