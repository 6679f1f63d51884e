// Command ordertwin runs the order-management core against the network
// twin. See `ordertwin help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

// usage is the top-level help.
const usage = `ordertwin — COM, SOM and ROM on TM Forum Open APIs, against a network twin.

Usage:
  ordertwin run FILE [--format text|json] [--clock virtual|wall] [--scale N] [--seed N] [--db FILE] [--retention D]
                 [--adapters FILE [--dry-run [--site CODE]]] [--cpuprofile FILE]
      Run a scenario file and print its timeline, entity map and expectations
      (text), or the JSON report. Exits 1 when an expectation fails, 2 on bad input.
      On the wall clock, each timeline row is also shown on stderr as it happens.
      --db journals every record into a new SQLite file (the durable store).
      --retention: finished orders leave memory for the store's shelf that long
      after they ended, as serve's (default PT0S: every one stays).
      --adapters FILE: per system, the twin or a real adapter (docs/adapters.md);
      --dry-run: on the twin, printing what each real adapter would send.
      --cpuprofile FILE: a CPU profile of the run for go tool pprof.
  ordertwin whatif FILE [--runs N] [--cv X] [--seed N] [--workers N] [--format text|json]
      Monte Carlo: run a scenario N times (run i with seed+i) with log-normal
      durations (coefficient of variation X) and its probabilistic faults, on all
      cores; print per wave and for the order the P50/P90/P99 completion, the odds
      of meeting each wave's target, and the expected billing start per site.
  ordertwin twin serve [--network FILE | SCENARIO] --adapters-out FILE [--host ADDR] [--systems LIST]
      Run the twin's systems on loopback in the protocols real ones speak (NetBox
      REST, RADIUS CoA, NETCONF over SSH, STAMP, PnP routers calling home), on one
      twin, and write an adapters file pointing at them. Until SIGINT/SIGTERM.
  ordertwin serve [FILE] [--addr HOST:PORT] [--db FILE] [--scale N] [--approvals twin|api]
                 [--approver STAGE=PUBKEY ...] [--auth FILE | --insecure] [--tls-cert FILE --tls-key FILE]
                 [--role com|som|rom --peer ROLE=URL ... --peer-secret FILE --start TIME]
                 [--hub-allow ENTRY ...] [--hub-quota N] [--order-quota N]
                 [--hub-suspend-after N] [--hub-suspend-window D]
                 [--snapshot-every N] [--snapshot-interval D] [--snapshot-by auto|helper|engine]
                 [--retention D] [--adapters FILE] [--shards N [--advertise URL]] [--cpuprofile FILE]
      Serve the TMF Open APIs (docs/api.md) on --addr (default 127.0.0.1:8080),
      with the engine on the wall clock (--scale virtual seconds per second,
      default a day a second) and the network twin, journalled into the SQLite
      file --db (default ordertwin.db), plus /healthz, /readyz and Prometheus
      /metrics, until interrupted (SIGINT, SIGTERM): then it drains and closes
      the store. Without FILE it runs the built-in live default (the enterprise
      catalog on the au-east twin, no orders); with FILE, that scenario's orders
      run too. Given a store it served before, it resumes: it loads its latest
      snapshot, replays the commands it took after it and carries on where it
      stopped. A snapshot is taken every --snapshot-every inputs (default
      50000) or --snapshot-interval (default 1m), never sooner than nine
      times the last one's cost after it, and on a clean stop; --snapshot-by
      says who encodes them (auto, the default: a helper process while
      commands come in and the state is over 1 MB, else the engine).
      --adapters FILE: per system, the twin or a real adapter (docs/adapters.md).
      --cpuprofile FILE: a CPU profile of the whole serve, until a clean stop.
      --retention D (ISO 8601 virtual time; default P7D; PT0S: never):
      a finished product, service or resource order leaves memory D after it ended, and
      the APIs read it from the store; the store keeps D, a restart goes on
      with it, and refuses another D (a replay must run as the store did).
      --approvals api: people decide each quote's approval stages (PATCH quote,
      or ordertwin approve), each decision signed by the approver's key,
      instead of the twin's reviewers (whose decisions a key per stage, kept in
      the store, signs). --approver STAGE=PUBKEY: only these keys decide STAGE.
      --role com|som|rom --peer ROLE=URL: one of COM, SOM and ROM, the others
      in the processes named, their messages signed with the secret in
      --peer-secret FILE. --start TIME: a new store's T+0 on the wall clock
      (RFC 3339; default now), the same for every process of a deployment.
      --shards N (with --db postgres://...): one instance of a deployment of
      several on that database, the orders spread over N shards by customer;
      it runs its share, takes over the shards of an instance that ends, and
      answers any request, forwarding to the instance that runs the shard (at
      the URL it gives as --advertise URL; default http://ADDR).
      Every request but /healthz and /readyz is authenticated (docs/auth.md):
      --auth FILE names the token issuers and API keys; without it, only the
      development issuer's tokens (its key beside the store, FILE.issuer.pem),
      and only on a loopback address unless --insecure. --tls-cert, --tls-key:
      HTTPS. One JSON access log line per request on stderr.
      --hub-allow ENTRY (repeatable): where hub callbacks may go: public, self, a
      network (CIDR), an address or a host name; default public (no loopback,
      private, link-local or metadata address). --hub-quota N: hub listeners a
      tenant may register (default 100). --order-quota N: product orders a party
      may have in flight when a caller bound to it places one (default 1000; one
      more is a 429). A listener whose callback failed
      --hub-suspend-after attempts in a row (default 20) over at least
      --hub-suspend-window (default 15m) is suspended.
  ordertwin submit FILE [--to URL] [--token T] [--watch] [--poll D]
      Place a scenario's quotes and orders on a running server over the TMF APIs
      (--to, default http://127.0.0.1:8080), as a CPQ would, sending the bearer
      token --token (default $ORDERTWIN_TOKEN). Idempotent: submitting
      again places nothing twice. --watch follows each order to its end, printing
      every change of state, and exits 1 unless all complete.
  ordertwin token --role ROLE [--tenant PARTY] [--subject NAME] [--ttl D] [--key FILE]
      Print a token of a server's development issuer, signed with its key
      (--key, default ordertwin.db.issuer.pem, beside the store), for the roles
      given (sales, approver-technical, approver-commercial, approver-customer,
      operations, partner, admin). --tenant: the party it acts for, required for
      sales, partner and approver-customer. --ttl: how long it is valid (12h).
  ordertwin journal FILE [--entity ID] [--after SEQ] [--inputs] [--format text|json]
      Print the records of a store's journal (a serve or run --db file), each
      with its seq: all, one entity's, or those after a seq. --inputs: print its
      input log instead, each command taken with who gave it: the actor and its
      roles, the request id, the source address and when it was taken. Of a
      compacted store it prints what is left, after a line (a "compacted"
      object in JSON) saying what went into which archive.
  ordertwin audit verify FILE [--archive ARCHIVE] [--format text|json]
      Recompute the hash chain of a store's journal and check every signed
      approval decision: print OK with the head hash and counts, or name the
      first record, input or link changed, removed, reordered or never chained,
      or the first decision whose signature or quote digest does not hold, and
      exit 1. A compacted store is verified from the first link it kept, the
      hash before it taken as the compaction left it (and said so); with
      --archive, the archive and the store as one chain.
  ordertwin backup FILE DEST
      Copy the SQLite store FILE into DEST, a new file: one consistent snapshot of
      it, taken while a server may be writing it (a copy of FILE alone may lack
      what its write-ahead log holds), then verified as audit verify does. A
      compacted store's archive is backed up alike. A PostgreSQL store is backed
      up with the database's own tools (pg_dump).
  ordertwin compact FILE --archive ARCHIVE [--format text|json]
      Move the beginning of a stopped server's journal into an archive (a
      SQLite file of the store's schema, created or appended to): the records,
      inputs and chain links wholly before its latest snapshot and every hub
      listener's delivery cursor. The archive is written, synced and verified
      before anything is deleted from the store. Refused when this build cannot
      restore the latest snapshot: from then on the store starts only from it,
      or with the archive put back. Prints what moved and why not further.
      Refused while a server holds the store (FILE.lock).
  ordertwin uncompact FILE --archive ARCHIVE [--format text|json]
      Put back into a stopped server's store what its compactions moved into
      the archive (read only, left as it was), verified from link 1 before
      anything is kept: the store holds its whole journal again, and a restart
      whose latest snapshot cannot be restored (the scenario edited, another
      build) replays it from T+0.
  ordertwin audit publish FILE --key FILE --relay URL [--relay URL ...]
      Verify the store as audit verify does, then send its chain head (hash,
      commits, records, inputs), signed with the key, as a NIP-01 event to each
      relay. Exit 1 when the store does not verify or no relay accepts it.
  ordertwin approve QUOTE --stage STAGE --key FILE [--reject REASON | --reason TEXT]
                   [--token T] [--to URL]
      Decide an approval stage of a quote on a server run with --approvals api:
      read the quote, hash its content as shown, sign the decision with the
      approver's key (a NIP-01 event) and send it with the approver's bearer
      token (--token, default $ORDERTWIN_TOKEN), whose subject is recorded. --new-key FILE writes a new
      secret key (mode 0600) and prints its public key.
  ordertwin check FILE
      Load and check a scenario file, its catalog and network, without running it.
  ordertwin lifecycle [NAME]
      Print the Mermaid state diagram of a lifecycle; without NAME, list them.
  ordertwin bench [--orders N,...] [--durable [--db postgres://...]]
      Run the scale workload (five-site orders through the whole stack in virtual
      time, in-memory store; --durable: journalled into a new SQLite file, or a
      new schema of the PostgreSQL database --db) and print resource order items
      per second, memory (kept and allocated, per item) and the run's CPU time,
      user and system, and page faults. --orders defaults to 1000.
  ordertwin bench --soak [--orders N] [--rate R] [--scale N] [--every N] [--db FILE]
                 [--max-duration D] [--retention D] [--churn K] [--json FILE]
      A soak of the live service: the workload's orders (default 1000) placed at
      --rate a wall-clock second (default 50) through engine commands on a
      server's durable store (--db, a new SQLite file, kept; default a temporary
      one) and the wall clock at --scale (default 86400). A row every --every
      orders placed (default a tenth), every 10 s while the last run on, and
      once all finish: orders placed,
      completed and in flight, RSS, Go heap in use, virtual-time lag, ROI/s and
      store size. Then the server is stopped and started again on its store as
      serve does, timed until ready. --max-duration (default 1h) stops placing
      and waiting; Ctrl-C stops with the rows so far (exit 1). --json FILE: the report.
      --retention D: finished product, service and resource orders leave memory, as serve's.
      --churn K: a network of K customers' sites, each order's sites disconnected
      once it completes and reused by a later one (a live service's steady state).
      Exits 1 unless every order completes.
  ordertwin load --to URL [--token T] [--scenario FILE] [--rate R | --ramp FROM:TO | --steps RATE:D,...]
                [--duration D] [--orders N] [--mix OP=W,...] [--seed N] [--max-in-flight N]
                [--max-duration D] [--timeout D] [--run NAME] [--json FILE] [--svg FILE]
                [--baseline FILE [--fail-over P%]] [--cpuprofile FILE]
      Open-loop load on a TMF622 server over HTTP (docs/load.md): arrivals due at
      --rate a second (default 100) for --duration (default 10s) or --orders
      arrivals, or a --ramp, or --steps; each an operation of --mix (default
      order=100; order: a quote of the scenario's customer and sites, default
      the worked example's, then the order that carries it out; change, cancel,
      read: of an order the run placed). Every latency counts from when its
      request was due. Prints per operation p50/p90/p99/p99.9/max, throughput
      and errors by status; --json FILE the report, --svg FILE the latency over
      time and histograms. At most --max-in-flight (default 512) at once, an
      arrival beyond dropped and counted; everything stops at --max-duration
      (default 10m). Sends only to --to, follows no redirect; bearer token
      --token (default $ORDERTWIN_TOKEN). Exits 1 when the run was cut short
      (Ctrl-C, --max-duration), its report so far written. --baseline FILE (a
      whole run of the same profile, mix and arrivals that measured something,
      else refused): exit 1 when an operation's share of errors, its p99 (p90
      with fewer than 1000 answers) or the throughput is worse than that
      report's by more than --fail-over (default 20%), naming which.
      --cpuprofile FILE: a CPU profile of the load generator for go tool pprof.
  ordertwin chaos [FILE] [--scenario FILE] [--rate R] [--duration D] [--faults N] [--kinds K,...]
                 [--seed N] [--scale X] [--settle D] [--timeout D] [--dir DIR] [--json FILE]
                 [--split] [--disk SIZE] [--reference run|none|FILE] [--baseline FILE [--fail-over P%]]
      A failure run (docs/load.md): serves FILE (default live/population.yaml) in a
      child process (--split: COM, SOM and ROM in three), places --rate orders a
      second (default 20) for --duration (default 30s), each sent again with its
      Idempotency-Key until answered, and injects --faults faults (default 6) of
      --kinds taking turns (kill: SIGKILL and restart; pause: SIGSTOP, then
      SIGCONT; listener-down, listener-slow: its hub listener answers 503 or
      takes a second; twin: the next NETCONF calls fail; disk-full: the store's
      tmpfs of --disk filled, as root) at times drawn from --seed; each order's
      end is compared with an uninterrupted run's (--reference). Then it waits up to --settle for
      the orders to end and judges from the APIs and the journal: every
      acknowledged order exists once, re-sends got the first answer, every
      order ended or waits on the worklist, no resource held twice or left
      reserved, every event delivered at least once in order. Prints each
      fault with its cost (restart, unavailability, failed requests, latency)
      and the verdict; exits 1 on FAIL, or when worse than --baseline (or its
      load was cut short).
  ordertwin help
      This text.

Scenario, catalog and network file formats: scenarios/README.md.
The garbage collector runs with GOGC=400 unless GOGC is set; an idle server
gives the memory it no longer uses back to the system. serve, run (virtual clock)
and bench (not --soak) ask Linux for transparent huge pages for their heap; run and
bench, unless GOGC or GOMEMLIMIT is set, collect only once the heap reaches half of
memory.
`

// exitError carries an exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// helpShown is a command's -h or --help: its flags, printed on the
// standard output, and exit 0.
type helpShown struct{ text string }

func (h *helpShown) Error() string { return h.text }

// isHelp says whether arg asks for help (-h, --help).
func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// gcPercent is the garbage collector's target unless GOGC is set: a run
// holds every order of its scenario in memory, and a larger target than Go's
// default 100 trades memory for speed (at 1,000 orders, about 25% faster
// for about 2.5 times the heap).
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	prepareBatch = batchMemory
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if h, ok := errors.AsType[*helpShown](err); ok {
		fmt.Print(h.text)
		return
	}
	if err == nil {
		return
	}
	code := 2
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if err.Error() != "" {
		fmt.Fprintln(os.Stderr, "ordertwin:", err)
	}
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{2, errors.New("")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(ctx, rest, stdout, stderr)
	case "whatif":
		return whatifCmd(ctx, rest, stdout, stderr)
	case "serve":
		return serveCmd(ctx, rest, stdout, stderr)
	case "submit":
		return submitCmd(ctx, rest, stdout)
	case "token":
		return tokenCmd(rest, stdout)
	case "journal":
		return journalCmd(ctx, rest, stdout)
	case "audit":
		return auditCmd(ctx, rest, stdout)
	case "compact":
		return compactCmd(ctx, rest, stdout)
	case "uncompact":
		return uncompactCmd(ctx, rest, stdout)
	case "backup":
		return backupCmd(ctx, rest, stdout)
	case "approve":
		return approveCmd(ctx, rest, stdout)
	case "check":
		return checkCmd(rest, stdout)
	case "lifecycle":
		return lifecycleCmd(rest, stdout)
	case "bench":
		return benchCmd(ctx, rest, stdout, stderr)
	case "load":
		return loadCmd(ctx, rest, stdout)
	case "chaos":
		return chaosCmd(ctx, rest, stdout)
	case "twin":
		return twinCmd(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (commands: run, whatif, serve, twin, submit, token, journal, audit, compact, uncompact, approve, check, lifecycle, bench, load, chaos, help)", cmd)
}

// parse parses flags that may come before or after the positional
// arguments, and returns the positional ones.
// durationHint is what a duration flag's parse error lacks: the form a
// duration takes.
func durationHint(fs *flag.FlagSet, err error) string {
	_, after, ok := strings.Cut(err.Error(), " for flag -")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(after, ":")
	if f := fs.Lookup(name); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if _, ok := g.Get().(time.Duration); ok {
				return " (a duration with its unit, such as 30s, 5m or 1h30m)"
			}
		}
	}
	return ""
}

func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			fmt.Fprintf(&b, "ordertwin %s: its flags (ordertwin help: every command, with what it takes):\n", fs.Name())
			fs.SetOutput(&b)
			fs.PrintDefaults()
			return nil, &helpShown{b.String()}
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w%s", fs.Name(), err, durationHint(fs, err))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
