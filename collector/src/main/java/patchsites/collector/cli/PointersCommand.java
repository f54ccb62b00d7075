package patchsites.collector.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import patchsites.collector.scan.PointerCensus;
import patchsites.collector.scan.PointerScanner;
import patchsites.collector.scan.TargetMatcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pointers",
        mixinStandardHelpOptions = true,
        header = "Rank the function-pointer slots called through in ELF objects: the census for static calls.",
        description = "Lists, per slot of the named pointer objects (pv_ops+0xb8), its call sites over all the"
                + " objects given, split into memory-indirect and loaded, how many go through a retpoline thunk,"
                + " the default where an object defines the slot's initializer, and the stores to the slot and the"
                + " places that take the object's address, with how many of those are in init sections; ranked"
                + " so that the best candidates for static calls come first (x86-64).",
        footerHeading = "%nNotes:%n",
        footer = {
                "Ranking: first by how the slot is written (WRITTEN): init-only (an input",
                "defines the object, and every store to the slot and every reference taking",
                "the object's address is in an init section), then not-seen (no input defines",
                "the object and none writes it after init: its writes are elsewhere), then",
                "runtime; then by SCORE = sites + sites through a retpoline thunk, highest",
                "first; then by sites and name (docs/pointers.md).",
                "",
                "Columns: SITES = MEM (call/jmp *slot(%%rip)) + LOAD (mov slot(%%rip),%%reg, then",
                "call or jmp through it); RETP the sites through a retpoline thunk; STORES and",
                "ADDR as total/in init sections. A global object's slot is one row over all",
                "inputs; a static (local) object's row is prefixed with its file. Without",
                "--pointer every data object is looked at, and only slots with a call site are",
                "listed. Then a summary line (not with --quiet or --json).",
                "",
                "Examples:",
                "  patchsites pointers --pointer=pv_ops --pointer='*_ops' --pointer=x86_pmu vmlinux.o",
                "  patchsites pointers --top=20 --json *.ko"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:ok (also when no slot is called through)", Main.EXIT_BAD})
final class PointersCommand extends Subcommand {
    /** Without --pointer: every data object (pointerKinds skips functions, sections and files). */
    private static final List<String> EVERY_OBJECT = List.of("*");

    @Mixin
    PointerOptions pointerOptions;

    @Mixin
    JobsOption jobs;

    @Option(names = "--json", description = "One JSON object per slot and line, in rank order, then a summary object"
            + " (docs/json.md).")
    boolean json;

    @Option(names = "--top", paramLabel = "N", description = "List only the first N slots of the ranking.")
    Integer top;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "ELF objects (.o, .ko, ld -r output) or ar archives (also thin).")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = out();
        Diagnostics diag = diagnostics();
        if (top != null && top < 1) {
            diag.error("--top takes a number of at least 1, not " + top);
            return 2;
        }
        TargetMatcher pointers = pointerOptions.given() ? pointerOptions.matcher(diag) : TargetMatcher.of(EVERY_OBJECT);
        if (pointers == null) {
            return 2;
        }
        PointerCensus census = new PointerCensus();
        int[] givenUp = {0};
        boolean failed = ScanCommand.scanFiles(spec, diag, files, jobs,
                new ScanCommand.Scanners(null, new PointerScanner(pointers)), json, (file, o) -> {
                    census.add(Diagnostics.where(file, o.member()), o.pointers());
                    givenUp[0] += o.pointers().givenUp().size();
                });
        List<PointerCensus.Slot> ranked = census.ranked();
        List<PointerCensus.Slot> shown = top == null ? ranked : ranked.subList(0, Math.min(top, ranked.size()));
        if (json) {
            int rank = 0;
            for (PointerCensus.Slot slot : shown) {
                out.println(JsonRecords.slot(++rank, slot));
            }
            out.println(JsonRecords.pointersSummary(Totals.of(ranked), census.inputs(), givenUp[0]));
        } else {
            printTable(out, shown);
            if (!diag.quiet()) {
                out.println(summary(Totals.of(ranked), census.inputs(), givenUp[0]));
            }
        }
        out.flush();
        return failed ? 2 : 0;
    }

    /** The census's sums over every slot, also those --top leaves out. */
    record Totals(int slots, long sites, long memory, long loaded, long retpolined) {
        static Totals of(List<PointerCensus.Slot> ranked) {
            long sites = 0, memory = 0, loaded = 0, retpolined = 0;
            for (PointerCensus.Slot s : ranked) {
                sites += s.sites;
                memory += s.memoryIndirect;
                loaded += s.loaded;
                retpolined += s.retpolined;
            }
            return new Totals(ranked.size(), sites, memory, loaded, retpolined);
        }
    }

    private static String summary(Totals t, int objects, int givenUp) {
        return Diagnostics.count(t.slots(), "slot", "slots") + " called through, " + Diagnostics.count(t.sites(), "site", "sites")
                + " (" + t.memory() + " memory-indirect, " + t.loaded() + " loaded, " + t.retpolined()
                + " through a retpoline thunk) in " + Diagnostics.count(objects, "object", "objects") + "; "
                + Diagnostics.count(givenUp, "load", "loads") + " of a slot not followed";
    }

    private static void printTable(PrintWriter out, List<PointerCensus.Slot> slots) {
        if (slots.isEmpty()) {
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"RANK", "SLOT", "SITES", "MEM", "LOAD", "RETP", "DEFAULT", "STORES", "ADDR", "WRITTEN",
            "SCORE"});
        int rank = 0;
        for (PointerCensus.Slot s : slots) {
            rows.add(new String[] {Integer.toString(++rank), s.file == null ? s.slot : s.file + ":" + s.slot,
                Integer.toString(s.sites), Integer.toString(s.memoryIndirect), Integer.toString(s.loaded),
                Integer.toString(s.retpolined), s.defaultTarget == null ? "-" : s.defaultTarget,
                s.stores + "/" + s.storesInit, s.addressTaken() + "/" + s.addressTakenInit(), s.written().label(),
                Integer.toString(s.score())});
        }
        Columns.print(out, rows, c -> c != 1 && c != 6 && c != 9);
    }
}
