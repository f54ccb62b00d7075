package patchsites.collector.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.function.BiConsumer;
import patchsites.collector.arch.Arches;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.scan.CallSite;
import patchsites.collector.scan.GivenUpLoad;
import patchsites.collector.scan.PointerScanner;
import patchsites.collector.scan.ScanResult;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;
import patchsites.isa.SiteKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "scan",
        mixinStandardHelpOptions = true,
        header = "List the call sites of the target symbols in ELF objects and archives.",
        description = "Lists the direct call, tail-call and conditional tail-call sites whose target"
                + " matches the given symbols, found through the objects' relocations. With --pointer, also"
                + " the calls and jumps through function pointers held in the named objects (x86-64).",
        footerHeading = "%nNotes:%n",
        footer = {
                "One row per site: file, section, offset of the instruction's first byte",
                "(prefixes included), kind (call, tail, cond-tail; ref with --include-refs),",
                "instruction length, target, enclosing function; then a summary line (not",
                "with --quiet or --json). Archives, kbuild's thin built-in.a and vmlinux.a",
                "too, are read member by member; a member that is no ELF object is skipped",
                "with a warning. A --target that matches no symbol in any input is a warning.",
                "",
                "A call to a target that the assembler resolved by itself (a static function",
                "in the same section) carries no relocation: the sections that define such a",
                "target are decoded, and those sites are marked 'decoded' (a VIA column;",
                "\"via\" in JSON) and explained by a warning.",
                "",
                "--pointer sites: kind icall (call *ptr(%%rip), ff 15) or itail (jmp *ptr(%%rip),",
                "ff 25); iload or iload-tail for a pointer loaded into a register (mov",
                "ptr(%%rip),%%reg) and called or jumped through in the same straight line of code,",
                "directly or through a retpoline thunk; the site is the call, the load is",
                "\"load_offset\" in JSON. TARGET is the slot (object + offset, e.g. pv_ops+0xb8)",
                "and DEFAULT the function the object's static initializer puts there when this",
                "object file defines it (JSON: \"pointer\", \"default\", null when unknown).",
                "Loads of a slot that could not be followed to a call are counted in the summary",
                "line by reason (JSON: a \"given_up\" record each; docs/pointers.md). --target",
                "is then optional. x86-64 only.",
                "",
                "Examples:",
                "  patchsites scan --target='__SCT__*' vmlinux.o",
                "  patchsites scan --target=__fentry__ --json drivers/net/foo.ko",
                "  patchsites scan --targets-file=thunks.txt --include-refs built-in.a",
                "  patchsites scan --target='*' --all-calls --json drivers/net/foo.ko",
                "  patchsites scan --pointer=pv_ops --pointer='*_ops' drivers/net/foo.ko"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:ok (also when no site matches)", Main.EXIT_BAD})
final class ScanCommand extends Subcommand {
    @Mixin
    TargetOptions targetOptions;

    @Mixin
    PointerOptions pointerOptions;

    @Mixin
    JobsOption jobs;

    @Option(names = "--include-refs", description = "Also list relocations that reference a target without branching to it (kind ref).")
    boolean includeRefs;

    @Option(names = "--json", description = "One JSON object per site and line, then a summary object (docs/json.md).")
    boolean json;

    @Option(names = "--decode", description = "Decode every executable section that defines a target, also for global"
            + " targets, to find calls without a relocation (by default only sections defining a local target, or a"
            + " global one with a local alias, are decoded).")
    boolean decode;

    @Option(names = "--all-calls", description = "List every direct call to a target, with or without a relocation,"
            + " decoding every executable section; no jumps (what objtool's .call_sites records: --target='*').")
    boolean allCalls;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "ELF objects (.o, .ko, ld -r output) or ar archives (also thin).")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = out();
        Diagnostics diag = diagnostics();
        // --pointer alone lists pointer sites only; without it, --target is required as before.
        TargetMatcher matcher = null;
        Scanner scanner = null;
        if (targetOptions.given() || !pointerOptions.given()) {
            matcher = targetOptions.matcher(diag);
            if (matcher == null) {
                return 2;
            }
            scanner = new Scanner(matcher, includeRefs, allCalls ? Scanner.Decoding.ALL_CALLS
                    : decode ? Scanner.Decoding.DEFINED_TARGETS : Scanner.Decoding.LOCAL_TARGETS);
        }
        PointerScanner pointerScanner = null;
        if (pointerOptions.given()) {
            TargetMatcher pointers = pointerOptions.matcher(diag);
            if (pointers == null) {
                return 2;
            }
            pointerScanner = new PointerScanner(pointers);
        }
        Scanners scanners = new Scanners(scanner, pointerScanner);
        UnmatchedTargets unmatched = matcher == null ? null : targetOptions.unmatched();
        Output output = new Output(out, json, diag.quiet(), pointerScanner != null);
        boolean failed = scanFiles(spec, diag, files, jobs, scanners, json, (file, o) -> {
            output.add(file, o.member, o.result.arch(), SiteRow.ordered(o.result.sites(), o.pointers.sites()), o.pointers.givenUp());
            if (unmatched != null) {
                unmatched.observe(o.result);
            }
        });
        output.finish();
        out.flush();
        if (unmatched != null && !failed) {
            unmatched.warn(diag);
        }
        return failed ? 2 : 0;
    }

    /**
     * Scans {@code files} (objects and archives) on up to -j threads, one a CPU by default, and
     * hands each object to {@code sink} in the order given, with its warnings, the archive members
     * skipped and the files that failed reported as one line each; returns whether a file failed.
     * Shared by scan and pointers.
     */
    static boolean scanFiles(CommandSpec spec, Diagnostics diag, List<Path> files, JobsOption jobs, Scanners scanners,
            boolean json, BiConsumer<String, ObjectReport> sink) {
        boolean[] failed = {false};
        Inputs.inOrder(spec, files, jobs.threads(Runtime.getRuntime().availableProcessors()), diag.quiet(),
                file -> Inputs.read(file, scanners::scan), (read, progress) -> {
                    if (json || read.hasMessages() || read.objects.stream().anyMatch(o -> !o.result.warnings().isEmpty())) {
                        progress.hide(); // JSON lines and diagnostics never share a line with the progress line
                    }
                    for (ObjectReport o : read.objects) {
                        for (String w : o.result.warnings()) {
                            diag.warning(Diagnostics.where(read.file, o.member), w);
                        }
                        sink.accept(read.file, o);
                    }
                    failed[0] |= read.report(diag);
                });
        return failed[0];
    }

    /** The direct-site scanner (null with --pointer alone) and the pointer-site scanner (null without --pointer). */
    record Scanners(Scanner direct, PointerScanner pointers) {
        ObjectReport scan(String member, ElfFile elf) {
            ScanResult r = direct == null
                    ? new ScanResult(Arches.forObject(elf).abi().name(), List.of(), List.of(), Set.of())
                    : direct.scan(elf);
            PointerScanner.Result p = pointers == null ? new PointerScanner.Result(List.of(), List.of()) : pointers.scanAll(elf);
            return new ObjectReport(member, r, p);
        }
    }

    record ObjectReport(String member, ScanResult result, PointerScanner.Result pointers) {}

    /**
     * docs/json.md's records (a "site" per row, a "given-up" per load not followed, then one
     * "summary"), or aligned columns, like objdump's, which need every row first to size them, and a
     * summary line.
     */
    private static final class Output {
        private final PrintWriter out;
        private final boolean json, quiet;
        private final List<String[]> rows = new ArrayList<>();
        private final Map<SiteKind, Integer> counts = new EnumMap<>(SiteKind.class);
        /** With --pointer: a DEFAULT column (the slot's static initializer), "-" for direct sites. */
        private final boolean pointers;
        private int objects;
        /** Loads of a slot not followed to a call, by reason (sorted for a stable summary). */
        private final Map<String, Integer> givenUpByReason = new java.util.TreeMap<>();
        /** Whether a site was found by decoding: only then is there a VIA column. */
        private boolean decoded;

        Output(PrintWriter out, boolean json, boolean quiet, boolean pointers) {
            this.out = out;
            this.json = json;
            this.quiet = quiet;
            this.pointers = pointers;
        }

        /** One object's rows, in (section, offset) order, and the loads of a slot it gave up on. */
        void add(String file, String member, String arch, List<SiteRow> rows, List<GivenUpLoad> givenUp) {
            objects++;
            for (SiteRow s : rows) {
                counts.merge(s.kind(), 1, Integer::sum);
                if (json) {
                    out.println(JsonRecords.site(file, member, arch, s));
                }
            }
            for (GivenUpLoad g : givenUp) {
                givenUpByReason.merge(g.reason(), 1, Integer::sum);
                if (json) {
                    out.println(JsonRecords.givenUp(file, member, arch, g));
                }
            }
            if (json) {
                return;
            }
            String where = Diagnostics.where(file, member);
            for (SiteRow s : rows) {
                decoded |= s.via() == CallSite.Via.DECODED;
                List<String> r = new ArrayList<>(List.of(where, s.section(), "0x" + Long.toHexString(s.offset()),
                        s.kind().label(), s.length() == 0 ? "-" : Integer.toString(s.length()),
                        s.pointer() != null ? s.pointer() : s.target()));
                if (pointers) {
                    r.add(s.defaultTarget() == null ? "-" : s.defaultTarget());
                }
                r.add(s.function() == null ? "-" : s.function() + "+0x" + Long.toHexString(s.functionOffset()));
                r.add(s.via().label());
                this.rows.add(r.toArray(new String[0]));
            }
        }

        void finish() {
            int loads = givenUpByReason.values().stream().mapToInt(Integer::intValue).sum();
            if (json) {
                out.println(JsonRecords.scanSummary(objects, counts, loads));
                return;
            }
            String[] head = pointers
                    ? new String[] {"FILE", "SECTION", "OFFSET", "KIND", "LEN", "TARGET", "DEFAULT", "FUNCTION", "VIA"}
                    : new String[] {"FILE", "SECTION", "OFFSET", "KIND", "LEN", "TARGET", "FUNCTION", "VIA"};
            if (!rows.isEmpty()) {
                rows.add(0, head);
                int columns = decoded ? head.length : head.length - 1; // VIA only when a site was decoded
                Columns.print(out, rows.stream().map(r -> Arrays.copyOf(r, columns)).toList(), c -> c == 2 || c == 4);
            }
            if (quiet) {
                return;
            }
            int total = counts.values().stream().mapToInt(Integer::intValue).sum();
            StringBuilder sb = new StringBuilder(Diagnostics.count(total, "site", "sites"));
            List<String> parts = new ArrayList<>();
            for (SiteKind k : SiteKind.values()) {
                Integer n = counts.get(k);
                if (n != null) {
                    parts.add(n + " " + k.label());
                }
            }
            if (!parts.isEmpty()) {
                sb.append(" (").append(String.join(", ", parts)).append(')');
            }
            sb.append(" in ").append(Diagnostics.count(objects, "object", "objects"));
            if (loads > 0) { // --pointer: the loads of a slot the scan gave up on (docs/pointers.md)
                List<String> why = new ArrayList<>();
                givenUpByReason.forEach((reason, n) -> why.add(n + " " + reason));
                sb.append("; ").append(loads).append(loads == 1 ? " load" : " loads").append(" of a slot not followed (")
                        .append(String.join(", ", why)).append(')');
            }
            out.println(sb);
        }
    }
}
