package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.CallSite;
import patchsites.collector.table.Auditor;
import patchsites.collector.table.TableBounds;
import patchsites.model.ModelOptions;
import patchsites.model.Verdict;
import patchsites.model.X86Policy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "audit",
        mixinStandardHelpOptions = true,
        header = "Check a call-site table against the code, with the runtime model's verdicts.",
        description = "Checks an existing call-site table: every entry must be a direct call or jump of"
                + " the recorded kind to a target, every such site must have an entry, none twice; and"
                + " gives each site the runtime model's verdict (atomic, breakpoint, stop-machine, ...).",
        footerHeading = "%nNotes:%n",
        footer = {
                "Without --target the targets are the ones the table's own sites reach. In a",
                "relocatable object a site's address is final only modulo its section's",
                "alignment: a site is atomic only if it is so for every placement the alignment",
                "permits; those atomic for some placements are counted as placement-dependent.",
                "",
                "In a linked program the table is the section of its name or, inside another",
                "output section, the bytes between __start_<id> and __stop_<id> (--bounds names",
                "others). Missing and extra entries are found from the relocations of the code:",
                "objects always, linked programs when they kept them (ld --emit-relocs, the",
                "kernel's vmlinux); the output says which (\"checked by relocations\" or",
                "\"none\"). --verbose lists every entry, not only those with problems.",
                "",
                "--kernel audits a kernel package in one run: vmlinux (the -dbg package's, with",
                "symbols) and every .ko, or directories holding them, each table with the",
                "kernel's own bounds (vmlinux: __start_static_call_sites, __start_mcount_loc,",
                "__retpoline_sites, __return_sites and their ends; docs/kbuild.md), then a",
                "summary per table. Exit 0 only when every table of every file is consistent.",
                "",
                "Examples:",
                "  patchsites audit --section=.static_call_sites --layout=site-key kvm.ko",
                "  patchsites audit --section=.static_call_sites --layout=site-key \\",
                "      --x86-policy=linux --json vmlinux.o",
                "  patchsites audit -v --section=.static_call_sites --layout=site-key prog"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:ok: every table is consistent",
                "1:findings: a table has invalid, missing, extra or duplicate entries", Main.EXIT_BAD})
final class AuditCommand extends Subcommand {
    @Mixin
    TargetOptions targetOptions;

    @Option(names = "--section", paramLabel = "NAME", description = "The table section (required unless --kernel).")
    String section;

    @Option(names = "--layout", paramLabel = "LAYOUT", completionCandidates = Completions.Layouts.class,
            description = "site-key, site or abs (required unless --kernel).")
    String layout;

    /** With --key-prefix each key is checked: the target with FROM replaced by TO, or the target itself. */
    @Mixin
    KeyOptions keyOptions;

    @Option(names = "--kernel", description = "Every x86 kernel table (.static_call_sites, __mcount_loc, .retpoline_sites,"
            + " .return_sites) of vmlinux and modules, with the kernel's targets, keys and bounds; a FILE may be a"
            + " directory (every vmlinux* and *.ko under it). Prints a summary per table.")
    boolean kernel;

    @Option(names = "--bounds", paramLabel = "START,STOP", description = "Linked programs: the table lies between these"
            + " two symbols or 0x addresses (instead of its own section or __start_<id>/__stop_<id>).")
    String bounds;

    @Mixin
    JobsOption jobs;

    @Option(names = "--x86-policy", paramLabel = "POLICY", defaultValue = "aligned",
            completionCandidates = Completions.X86Policies.class,
            description = "linux (always INT3), aligned (default: rel32 4-byte aligned), cacheline (rel32 within 64 bytes).")
    String x86Policy;

    @Option(names = "--json", description = "One JSON object per entry, per missing site and per table, then a"
            + " summary object (docs/json.md).")
    boolean json;

    /** The global --quiet: print only the tables with problems. */
    private boolean quiet;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Objects, archives or linked programs.")
    List<Path> files;

    private int problems;
    /** Errors reported (a file, or a member of an archive, that could not be audited). */
    private int badInputs;
    /** For the JSON summary: tables audited, linked programs and objects read, files that could not be audited. */
    private int tables, linked, objects, badFiles;

    @Override
    public Integer call() {
        PrintWriter out = out();
        Diagnostics diag = diagnostics();
        quiet = diag.quiet();
        Auditor.Options options;
        TableBounds override;
        int threads = jobs.threads(Runtime.getRuntime().availableProcessors());
        try {
            override = bounds == null ? null : TableBounds.parse(bounds);
            if (kernel) {
                if (section != null || layout != null || keyOptions.keyPrefix != null || targetOptions.given()) {
                    throw new IllegalArgumentException("--kernel brings every table's section, layout, targets and keys;"
                            + " it takes no --section, --layout, --key-prefix or --target");
                }
                List<Path> all = KernelAudit.expand(files);
                if (all.isEmpty()) {
                    throw new IllegalArgumentException("no vmlinux or .ko file under " + files);
                }
                return new KernelAudit(new ModelOptions(X86Policy.parse(x86Policy)), override, verbose(), json)
                        .run(spec, all, threads, out, diag);
            }
            if (section == null || layout == null) {
                throw new IllegalArgumentException("audit needs --section and --layout (or --kernel)");
            }
            TableEmitter.KeyRule keys = keyOptions.rule(true, layout);
            boolean anyTarget = targetOptions.given();
            options = new Auditor.Options(section, TableLayout.parse(layout), anyTarget ? targetOptions.matcher(diag) : null,
                    keys, new ModelOptions(X86Policy.parse(x86Policy)),
                    override != null ? List.of(override) : TableBounds.conventional(section), override != null, null, false);
            if (anyTarget && options.targets() == null) {
                return 2;
            }
        } catch (IllegalArgumentException e) {
            diag.error(e.getMessage());
            return 2;
        } catch (IOException e) {
            diag.error(Diagnostics.failure(e));
            return 2;
        }
        Inputs.inOrder(spec, files, threads, quiet, f -> Inputs.read(f, (member, elf) -> audit(member, elf, options)),
                (read, progress) -> {
                    progress.hide();
                    int badBefore = badInputs;
                    read.forEach(diag, a -> {
                        if (a.linked) {
                            linked++;
                        } else {
                            objects++;
                        }
                        if (a.error != null) {
                            diag.error(Diagnostics.where(read.file, a.member), a.error);
                            badInputs++;
                        } else {
                            print(out, read.file, a.member, a.report);
                        }
                    });
                    if (read.report(diag)) {
                        badInputs++;
                    }
                    if (badInputs > badBefore) {
                        badFiles++;
                    }
                    out.flush();
                });
        if (json) {
            out.println(JsonRecords.auditSummary(false, files.size(), linked, objects, badFiles, tables,
                    problems == 0 && badFiles == 0));
        }
        out.flush();
        return badInputs > 0 ? 2 : problems > 0 ? 1 : 0;
    }

    /** One object's table, or why it could not be audited (the other members of an archive still are). */
    private record Audited(String member, boolean linked, Auditor.Report report, String error) {}

    private static Audited audit(String member, ElfFile elf, Auditor.Options options) {
        boolean linked = elf.type() != ElfFile.ET_REL;
        try {
            return new Audited(member, linked, Auditor.audit(elf, options), null);
        } catch (ElfFormatException e) {
            return new Audited(member, linked, null, e.getMessage());
        }
    }

    private void print(PrintWriter out, String file, String member, Auditor.Report r) {
        if (!r.consistent()) {
            problems++;
        }
        tables++;
        String where = Diagnostics.where(file, member);
        if (json) { // docs/json.md: an "entry" record per table entry, a "missing" record per site without one, then a "table"
            JsonRecords.tableRecords(file, member, section, r, e -> true).forEach(out::println);
            return;
        }
        if (quiet && r.consistent()) {
            return; // --quiet: only the tables with problems
        }
        Map<Verdict, Integer> v = new EnumMap<>(r.verdicts());
        StringBuilder sb = new StringBuilder();
        sb.append(where).append(": ").append(section).append(": ")
                .append(Diagnostics.count(r.entries().size(), "entry", "entries"));
        boolean first = true;
        for (Map.Entry<Verdict, Integer> e : v.entrySet()) {
            sb.append(first ? "; " : ", ").append(e.getKey().label()).append(' ').append(e.getValue());
            first = false;
        }
        if (r.placementDependent() > 0) {
            sb.append(" (").append(r.placementDependent()).append(" would be atomic for some placements)");
        }
        out.println(sb);
        out.println("  " + r.policy());
        out.printf("  problems: %d invalid, %d missing, %d extra, %d duplicates (missing/extra checked by %s%s)%n",
                r.invalid(), r.missing().size(), r.extra(), r.duplicates(), r.method().label(),
                r.methodDetail().isEmpty() ? "" : ": " + r.methodDetail());
        for (Auditor.EntryReport e : r.entries()) {
            if (verbose() || !e.problems().isEmpty()) {
                out.println("  " + entryLine(e));
            }
        }
        for (CallSite m : r.missing()) {
            out.printf("  missing: %s+0x%x %s %s has no entry%n", m.section(), m.offset(), m.kind().label(), m.target());
        }
    }

    /** An entry, the branch at its site and its verdict, or its problems; also audit --kernel's. */
    static String entryLine(Auditor.EntryReport e) {
        String site = e.section() == null ? "(unresolved)" : e.section() + "+0x" + Long.toHexString(e.entry().siteOffset());
        return String.format("entry %d %s %s %s: %s%s", e.entry().index(), site, e.kind() == null ? "?" : e.kind().label(),
                e.target() == null ? "?" : e.target(), e.assessment().verdict().label(),
                e.problems().isEmpty() ? " (" + e.assessment().reason() + ")" : ": " + String.join("; ", e.problems()));
    }
}
