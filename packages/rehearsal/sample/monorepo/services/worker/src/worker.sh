#!/bin/sh
# The shop's worker: takes the jobs dropped in its queue folder (one file per job, named by its id) and
# records each as done. `worker.sh work ID` does one job; `worker.sh run QUEUE` polls the queue for ever.

work() {
  printf '{"done":%s}\n' "$1"
}

run() {
  queue=$1
  mkdir -p "$queue/done"
  while :; do
    for job in "$queue"/*.job; do
      [ -f "$job" ] || continue
      id=${job##*/}
      # Written aside, then renamed: a reader never sees half a result.
      work "${id%.job}" > "$queue/done/.${id%.job}.json" &&
        mv "$queue/done/.${id%.job}.json" "$queue/done/${id%.job}.json" && rm -f "$job"
    done
    sleep "${POLL_SECONDS:-2}"
  done
}

case "$1" in
  work) work "$2" ;;
  run) run "${2:-/var/queue}" ;;
  *) echo "usage: worker.sh work ID | run [QUEUE]" >&2; exit 64 ;;
esac
