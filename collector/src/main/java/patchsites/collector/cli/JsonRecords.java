package patchsites.collector.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import patchsites.collector.scan.CallSite;
import patchsites.collector.scan.GivenUpLoad;
import patchsites.collector.scan.PointerCensus;
import patchsites.collector.table.Auditor;
import patchsites.collector.table.Planner;
import patchsites.isa.SiteKind;
import patchsites.model.Transaction;
import patchsites.model.Verdict;

/**
 * Every record that {@code --json} prints, one writer each, used by every command that prints
 * it: docs/json.md describes them in this order and docs/json.schema.json is their schema
 * (JsonSchemaTest validates real output of every command against it). A field without a value is
 * {@code null}, never left out, except {@code member}, present only for archive members.
 */
final class JsonRecords {
    private JsonRecords() {}

    // ---- scan ----

    /** scan: one site (direct, through a pointer, or with --include-refs a reference). */
    static String site(String file, String member, String arch, SiteRow s) {
        boolean inFunction = s.function() != null;
        return new Json.Record("site").str("file", file).optional("member", member).str("arch", arch)
                .str("section", s.section()).unsigned("offset", s.offset())
                .num("length", s.length() == 0 ? null : (long) s.length()).str("kind", s.kind().label())
                .str("target", s.target()).str("pointer", s.pointer()).str("default", s.defaultTarget())
                .str("function", s.function()).unsigned("function_offset", inFunction ? s.functionOffset() : null)
                .str("via", s.via().label()).unsigned("load_offset", s.loadOffset())
                .bool("retpoline", s.retpoline()).toString();
    }

    /** scan --pointer: a load of a slot that the scan did not follow to a call (docs/pointers.md). */
    static String givenUp(String file, String member, String arch, GivenUpLoad g) {
        return new Json.Record("given-up").str("file", file).optional("member", member).str("arch", arch)
                .str("section", g.section()).unsigned("offset", g.offset()).str("pointer", g.pointer())
                .str("reason", g.reason()).str("function", g.function())
                .unsigned("function_offset", g.function() != null ? g.functionOffset() : null).toString();
    }

    /** scan: the last record; {@code givenUp}: given-up records printed. */
    static String scanSummary(int objects, Map<SiteKind, Integer> kinds, int givenUp) {
        int sites = kinds.values().stream().mapToInt(Integer::intValue).sum();
        return new Json.Record("summary").schema("scan").num("objects", objects).num("sites", sites)
                .counts("kinds", byLabel(kinds, SiteKind::label)).num("given_up", givenUp).toString();
    }

    // ---- pointers ----

    /** pointers: one function-pointer slot of the census, in rank order (docs/pointers.md). */
    static String slot(int rank, PointerCensus.Slot s) {
        return new Json.Record("slot").num("rank", rank).str("slot", s.slot).str("object", s.object)
                .unsigned("offset", s.offset).str("file", s.file).num("sites", s.sites)
                .num("memory_indirect", s.memoryIndirect).num("loaded", s.loaded).num("retpoline", s.retpolined)
                .num("tail", s.tail).num("objects", s.objects).str("default", s.defaultTarget).num("stores", s.stores)
                .num("stores_init", s.storesInit).num("address_taken", s.addressTaken())
                .num("address_taken_init", s.addressTakenInit()).bool("defined", s.defined())
                .str("written", s.written().label()).num("score", s.score()).num("loads_given_up", s.givenUp)
                .toString();
    }

    /** pointers: the last record; the counts are over every slot, also those --top leaves out. */
    static String pointersSummary(PointersCommand.Totals t, int objects, int givenUp) {
        return new Json.Record("summary").schema("pointers").num("slots", t.slots()).num("sites", t.sites())
                .num("memory_indirect", t.memory()).num("loaded", t.loaded()).num("retpoline", t.retpolined())
                .num("objects", objects).num("given_up", givenUp).toString();
    }

    // ---- audit (also --kernel) ----

    /** audit: one table's records: an "entry" per entry {@code listed}, a "missing" per site without one, then its "table". */
    static List<String> tableRecords(String file, String member, String table, Auditor.Report r,
            Predicate<Auditor.EntryReport> listed) {
        List<String> records = new ArrayList<>();
        r.entries().stream().filter(listed).forEach(e -> records.add(entry(file, member, table, r.linked(), e)));
        r.missing().forEach(m -> records.add(missing(file, member, table, m)));
        records.add(table(file, member, table, r));
        return records;
    }

    /** audit: one table entry, the branch found at its site and the runtime model's verdict. */
    static String entry(String file, String member, String table, boolean linked, Auditor.EntryReport e) {
        return new Json.Record("entry").str("file", file).optional("member", member).str("table", table)
                .num("entry", e.entry().index()).str("section", e.section()).unsigned("offset", e.entry().siteOffset())
                .unsigned("address", linked ? e.entry().siteAddress() : null)
                .num("length", e.length() > 0 ? (long) e.length() : null)
                .str("kind", e.kind() == null ? null : e.kind().label()).str("target", e.target())
                .str("key", e.entry().key()).bool("tail", e.entry().tail())
                .str("verdict", e.assessment().verdict().label()).str("reason", e.assessment().reason())
                .num("sync_rounds", e.assessment().syncRounds())
                .bool("placement_dependent", e.assessment().placementDependent()).strings("problems", e.problems())
                .toString();
    }

    /** audit: a site the code has and the table lacks. */
    static String missing(String file, String member, String table, CallSite m) {
        return new Json.Record("missing").str("file", file).optional("member", member).str("table", table)
                .str("section", m.section()).unsigned("offset", m.offset()).str("kind", m.kind().label())
                .str("target", m.target()).str("function", m.function()).toString();
    }

    /** audit: one table of one file, after its entry and missing records. */
    static String table(String file, String member, String table, Auditor.Report r) {
        // Not checked (no relocations, no decoder): null, not 0.
        boolean checked = r.method() != Auditor.Method.NONE;
        return new Json.Record("table").str("file", file).optional("member", member).str("table", table)
                .str("arch", r.arch()).str("policy", r.policyId()).str("policy_text", r.policy())
                .bool("linked", r.linked()).str("method", methodId(r.method()))
                .num("entries", r.entries().size()).counts("verdicts", byLabel(r.verdicts(), Verdict::label))
                .num("placement_dependent", r.placementDependent()).num("invalid", r.invalid())
                .num("missing", checked ? (long) r.missing().size() : null)
                .num("extra", checked ? (long) r.extra() : null).num("duplicates", r.duplicates())
                .bool("consistent", r.consistent()).toString();
    }

    /** audit --kernel: one table over the whole package; {@code totals}: files, entries, invalid, missing, extra, duplicates. */
    static String kernelTable(String table, long[] totals, Map<Auditor.Method, Integer> methods) {
        return new Json.Record("kernel-table").str("table", table).num("files", totals[0]).num("entries", totals[1])
                .num("invalid", totals[2]).num("missing", totals[3]).num("extra", totals[4])
                .num("duplicates", totals[5]).counts("methods", byLabel(methods, JsonRecords::methodId)).toString();
    }

    /**
     * audit: the last record. {@code files}: files given (or found under a directory with
     * --kernel); {@code linked} and {@code objects}: linked programs and relocatable objects read;
     * {@code badInput}: files that could not be audited.
     */
    static String auditSummary(boolean kernel, int files, int linked, int objects, int badInput, int tables,
            boolean consistent) {
        return new Json.Record("summary").schema("audit").bool("kernel", kernel).num("files", files)
                .num("linked", linked).num("objects", objects).num("bad_input", badInput).num("tables", tables)
                .bool("consistent", consistent).toString();
    }

    /** The method's id: its name in lower case ({@code relocations}, {@code decoding}, {@code none}). */
    static String methodId(Auditor.Method m) {
        return m.name().toLowerCase(java.util.Locale.ROOT);
    }

    // ---- plan ----

    /** plan: one site of the key, its bytes before and after and its verdict. */
    static String patch(String file, Planner.Site s) {
        Transaction.Step st = s.step();
        return new Json.Record("patch").str("file", file).unsigned("address", st.address())
                .str("section", s.section()).unsigned("offset", s.entry().siteOffset())
                .str("kind", s.kind() == null ? null : s.kind().label()).str("before", hex(st.before()))
                .str("after", hex(st.after())).str("old_target", s.oldTarget())
                .str("verdict", st.assessment().verdict().label()).str("reason", st.assessment().reason())
                .num("sync_rounds", st.assessment().syncRounds()).toString();
    }

    /** plan: the last record; {@code applied}: the --apply file written, else null. */
    static String planSummary(String file, String key, String to, Planner.Plan plan, String applied) {
        Transaction tx = plan.transaction();
        return new Json.Record("summary").schema("plan").str("file", file).str("arch", plan.arch())
                .str("policy", plan.policyId()).str("policy_text", plan.policy()).str("key", key)
                .unsigned("key_address", plan.keyAddress()).str("to", to).unsigned("new_target", plan.newTarget())
                .num("sites", plan.sites().size()).counts("verdicts", byLabel(tx.byVerdict(), Verdict::label))
                .num("sync_rounds", tx.roundsOneByOne()).num("sync_rounds_batched", tx.roundsBatched())
                .num("stop_machine_rounds", tx.stopMachineRounds()).bool("feasible", tx.feasible())
                .str("applied", applied).toString();
    }

    /** Bytes as lower-case hex, as plan's text output prints them. */
    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }

    /** Counts keyed by a kind, verdict or method, keyed by its name in JSON instead, in the same order. */
    private static <K> Map<String, Integer> byLabel(Map<K, Integer> counts, java.util.function.Function<K, String> label) {
        Map<String, Integer> byLabel = new LinkedHashMap<>();
        counts.forEach((k, n) -> byLabel.put(label.apply(k), n));
        return byLabel;
    }
}
