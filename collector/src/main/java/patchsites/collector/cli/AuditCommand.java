package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.ObjectReader;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.CallSite;
import patchsites.collector.table.Auditor;
import patchsites.model.ModelOptions;
import patchsites.model.Verdict;
import patchsites.model.X86Policy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

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
                "output section (vmlinux keeps .static_call_sites in .rodata), the bytes between",
                "__start_<id> and __stop_<id>. --verbose lists every entry, not only those with",
                "problems.",
                "",
                "Examples:",
                "  patchsites audit --section=.static_call_sites --layout=site-key kvm.ko",
                "  patchsites audit --section=.static_call_sites --layout=site-key \\",
                "      --x86-policy=linux --json vmlinux.o",
                "  patchsites audit -v --section=.static_call_sites --layout=site-key prog"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:ok: every table is consistent",
                "1:findings: a table has invalid, missing, extra or duplicate entries", Main.EXIT_BAD})
final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TargetOptions targetOptions;

    @Option(names = "--section", required = true, paramLabel = "NAME", description = "The table section.")
    String section;

    @Option(names = "--layout", required = true, paramLabel = "LAYOUT", description = "site-key, site or abs.")
    String layout;

    /** With --key-prefix each key is checked: the target with FROM replaced by TO, or the target itself. */
    @Mixin
    KeyOptions keyOptions;

    @Option(names = "--x86-policy", paramLabel = "POLICY", defaultValue = "aligned",
            description = "linux (always INT3), aligned (default: rel32 4-byte aligned), cacheline (rel32 within 64 bytes).")
    String x86Policy;

    @Option(names = "--json", description = "One JSON object per entry and per missing site, then a summary object.")
    boolean json;

    /** The global --verbose: list every entry, not only those with problems. */
    private boolean verbose;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Objects, archives or linked programs.")
    List<Path> files;

    private int problems;
    private boolean badInput;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Diagnostics diag = Main.diagnostics(spec);
        verbose = Main.of(spec).verbose;
        Auditor.Options options;
        try {
            TableEmitter.KeyRule keys = keyOptions.rule(true);
            boolean anyTarget = !targetOptions.targets.isEmpty() || targetOptions.targetsFile != null;
            options = new Auditor.Options(section, TableLayout.parse(layout), anyTarget ? targetOptions.matcher(diag) : null,
                    keys, new ModelOptions(X86Policy.parse(x86Policy)));
            if (anyTarget && options.targets() == null) {
                return 2;
            }
        } catch (IllegalArgumentException e) {
            diag.error(e.getMessage());
            return 2;
        }
        Progress progress = Progress.of(spec.commandLine().getErr(), "audit", files.size(), diag.quiet());
        for (Path f : files) {
            progress.hide();
            String file = f.toString();
            try {
                ObjectReader.read(f, (member, elf) -> {
                    try {
                        print(out, file, member, Auditor.audit(elf, options));
                    } catch (ElfFormatException e) {
                        diag.error(Diagnostics.where(file, member), e.getMessage());
                        badInput = true;
                    }
                });
            } catch (ObjectReader.MemberException e) {
                diag.error(Diagnostics.where(file, e.member), e.getMessage());
                badInput = true;
            } catch (IOException | RuntimeException e) {
                diag.error(file, Diagnostics.failure(e));
                badInput = true;
            } catch (InternalError e) {
                if (!Diagnostics.isMappingFault(e)) {
                    throw e;
                }
                diag.error(file, Diagnostics.failure(e));
                badInput = true;
            }
            out.flush();
            progress.step();
        }
        progress.close();
        out.flush();
        return badInput ? 2 : problems > 0 ? 1 : 0;
    }

    private void print(PrintWriter out, String file, String member, Auditor.Report r) {
        if (!r.consistent()) {
            problems++;
        }
        String where = Diagnostics.where(file, member);
        if (json) {
            printJson(out, file, member, r);
            return;
        }
        Map<Verdict, Integer> v = new EnumMap<>(r.verdicts());
        StringBuilder sb = new StringBuilder();
        sb.append(where).append(": ").append(section).append(": ").append(r.entries().size()).append(" entries; ");
        boolean first = true;
        for (Map.Entry<Verdict, Integer> e : v.entrySet()) {
            sb.append(first ? "" : ", ").append(e.getKey().label()).append(' ').append(e.getValue());
            first = false;
        }
        if (r.placementDependent() > 0) {
            sb.append(" (").append(r.placementDependent()).append(" would be atomic for some placements)");
        }
        out.println(sb);
        out.println("  " + r.policy());
        out.printf("  problems: %d invalid, %d missing, %d extra, %d duplicates%s%n", r.invalid(), r.missing().size(),
                r.extra(), r.duplicates(), r.linked() ? " (linked program: missing/extra need relocations, not checked)" : "");
        for (Auditor.EntryReport e : r.entries()) {
            if (verbose || !e.problems().isEmpty()) {
                out.printf("  entry %d %s %s %s: %s%s%n", e.entry().index(), siteName(e),
                        e.kind() == null ? "?" : e.kind().label(), e.target() == null ? "?" : e.target(),
                        e.assessment().verdict().label(),
                        e.problems().isEmpty() ? " (" + e.assessment().reason() + ")" : ": " + String.join("; ", e.problems()));
            }
        }
        for (CallSite m : r.missing()) {
            out.printf("  missing: %s+0x%x %s %s has no entry%n", m.section(), m.offset(), m.kind().label(), m.target());
        }
    }

    private static String siteName(Auditor.EntryReport e) {
        return e.section() == null ? "(unresolved)" : e.section() + "+0x" + Long.toHexString(e.entry().siteOffset());
    }

    private void printJson(PrintWriter out, String file, String member, Auditor.Report r) {
        StringBuilder sb = new StringBuilder();
        for (Auditor.EntryReport e : r.entries()) {
            sb.setLength(0);
            head(sb, file, member);
            sb.append(",\"entry\":").append(e.entry().index());
            sb.append(",\"section\":");
            Json.string(sb, e.section());
            sb.append(",\"offset\":").append(e.entry().siteOffset());
            sb.append(",\"length\":").append(e.length());
            sb.append(",\"kind\":");
            Json.string(sb, e.kind() == null ? null : e.kind().label());
            sb.append(",\"target\":");
            Json.string(sb, e.target());
            sb.append(",\"key\":");
            Json.string(sb, e.entry().key());
            sb.append(",\"tail\":").append(e.entry().tail());
            sb.append(",\"verdict\":\"").append(e.assessment().verdict().label()).append('"');
            sb.append(",\"reason\":");
            Json.string(sb, e.assessment().reason());
            sb.append(",\"sync_rounds\":").append(e.assessment().syncRounds());
            sb.append(",\"placement_dependent\":").append(e.assessment().placementDependent());
            sb.append(",\"problems\":[");
            for (int i = 0; i < e.problems().size(); i++) {
                sb.append(i == 0 ? "" : ",");
                Json.string(sb, e.problems().get(i));
            }
            sb.append("]}");
            out.println(sb);
        }
        for (CallSite m : r.missing()) {
            sb.setLength(0);
            head(sb, file, member);
            sb.append(",\"missing\":true,\"section\":");
            Json.string(sb, m.section());
            sb.append(",\"offset\":").append(m.offset());
            sb.append(",\"kind\":\"").append(m.kind().label()).append('"');
            sb.append(",\"target\":");
            Json.string(sb, m.target());
            sb.append('}');
            out.println(sb);
        }
        sb.setLength(0);
        head(sb, file, member);
        sb.append(",\"summary\":true,\"table\":");
        Json.string(sb, section);
        sb.append(",\"policy\":");
        Json.string(sb, r.policy());
        sb.append(",\"entries\":").append(r.entries().size()).append(",\"verdicts\":{");
        boolean first = true;
        for (Map.Entry<Verdict, Integer> e : r.verdicts().entrySet()) {
            sb.append(first ? "" : ",").append('"').append(e.getKey().label()).append("\":").append(e.getValue());
            first = false;
        }
        sb.append("},\"placement_dependent\":").append(r.placementDependent());
        sb.append(",\"invalid\":").append(r.invalid()).append(",\"missing\":").append(r.missing().size());
        sb.append(",\"extra\":").append(r.extra()).append(",\"duplicates\":").append(r.duplicates());
        sb.append(",\"linked\":").append(r.linked()).append(",\"consistent\":").append(r.consistent()).append('}');
        out.println(sb);
    }

    private static void head(StringBuilder sb, String file, String member) {
        sb.append("{\"file\":");
        Json.string(sb, file);
        if (member != null) {
            sb.append(",\"member\":");
            Json.string(sb, member);
        }
    }
}
