package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.ObjectReader;
import patchsites.collector.elf.Source;
import patchsites.collector.emit.AtomicFile;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.table.Planner;
import patchsites.model.ModelOptions;
import patchsites.model.Transaction;
import patchsites.model.Verdict;
import patchsites.model.X86Policy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "plan",
        mixinStandardHelpOptions = true,
        header = "Plan re-targeting the sites of one key in a linked program.",
        description = "Plans re-targeting every site of one key in a linked program: each site's new"
                + " bytes, its verdict and the transaction's cost; --apply writes a patched copy.",
        footerHeading = "%nNotes:%n",
        footer = {
                "For site-key tables --key names the key symbol; for site and abs tables, the",
                "symbol the sites call now.",
                "",
                "Examples:",
                "  patchsites plan --section=.static_call_sites --layout=site-key \\",
                "      --key=__SCK__filter --to=filter_strict prog",
                "  patchsites plan --section=.static_call_sites --layout=site-key \\",
                "      --key=__SCK__filter --to=filter_strict --apply=prog.patched prog"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:ok: every site can be re-targeted (and --apply wrote the copy)",
                "1:findings: the plan has invalid or out-of-range sites; nothing written", Main.EXIT_BAD})
final class PlanCommand extends Subcommand {
    @Option(names = "--section", required = true, paramLabel = "NAME", description = "The table section.")
    String section;

    @Option(names = "--layout", required = true, paramLabel = "LAYOUT", completionCandidates = Completions.Layouts.class,
            description = "site-key, site or abs.")
    String layout;

    @Option(names = "--key", required = true, paramLabel = "SYMBOL", description = "Whose sites to re-target.")
    String key;

    @Option(names = "--to", required = true, paramLabel = "SYMBOL", description = "The new target.")
    String to;

    @Option(names = "--apply", paramLabel = "OUT", description = "Write a copy of FILE with every site re-targeted.")
    Path apply;

    @Option(names = "--x86-policy", paramLabel = "POLICY", defaultValue = "aligned",
            completionCandidates = Completions.X86Policies.class,
            description = "linux, aligned (default) or cacheline.")
    String x86Policy;

    @Option(names = "--json", description = "One JSON object per site, then a summary object (docs/json.md).")
    boolean json;

    @Parameters(paramLabel = "FILE", arity = "1", description = "A linked program (ET_EXEC or ET_DYN).")
    Path file;

    @Override
    public Integer call() {
        PrintWriter out = out();
        Diagnostics diag = diagnostics();
        String where = file.toString();
        try {
            ObjectReader.checkInput(file);
        } catch (ElfFormatException e) {
            diag.error(where, e.getMessage());
            return 2;
        }
        try (Source src = Source.map(file)) {
            if (ObjectReader.classify(src) == ObjectReader.Kind.ARCHIVE) {
                throw new ElfFormatException("is an archive; plan takes a linked program");
            }
            ElfFile elf = ElfFile.parse(src);
            Planner.Plan plan = Planner.plan(elf, section, TableLayout.parse(layout), key, to,
                    new ModelOptions(X86Policy.parse(x86Policy)));
            boolean feasible = plan.transaction().feasible();
            if (!json) {
                print(out, plan);
            }
            if (feasible && apply != null) {
                AtomicFile.write(apply, file, ch -> Planner.apply(elf, plan, file, ch));
                if (!json) {
                    out.printf("wrote %s: %s re-targeted%n", apply, Diagnostics.count(plan.sites().size(), "site", "sites"));
                }
            }
            if (json) {
                printJson(out, plan, feasible && apply != null);
            }
            if (!feasible) {
                out.flush();
                return 1;
            }
        } catch (IllegalArgumentException e) {
            diag.error(e.getMessage());
            return 2;
        } catch (IOException | ElfFormatException | UncheckedIOException | InternalError e) {
            Diagnostics.rethrowUnlessMappingFault(e);
            diag.fail(where, e); // a failed write names the --apply path, anything else FILE
            return 2;
        }
        out.flush();
        return 0;
    }

    private void print(PrintWriter out, Planner.Plan plan) {
        out.printf("%s: %s of %s (0x%x) -> %s (0x%x)%n", file, Diagnostics.count(plan.sites().size(), "site", "sites"), key, plan.keyAddress(), to,
                plan.newTarget());
        out.println("  " + plan.policy());
        for (Planner.Site s : plan.sites()) {
            Transaction.Step st = s.step();
            out.printf("  0x%x %s+0x%x %-9s %s -> %s  [%s] %s: %s%n", st.address(), s.section(), s.entry().siteOffset(),
                    s.kind() == null ? "?" : s.kind().label(), JsonRecords.hex(st.before()), JsonRecords.hex(st.after()),
                    s.oldTarget() == null ? "?" : s.oldTarget(), st.assessment().verdict().label(),
                    st.assessment().reason());
        }
        Transaction tx = plan.transaction();
        StringBuilder sb = new StringBuilder("  transaction:");
        for (Map.Entry<Verdict, Integer> e : tx.byVerdict().entrySet()) {
            sb.append(' ').append(e.getValue()).append(' ').append(e.getKey().label()).append(',');
        }
        sb.append(' ').append(plan.syncRounds());
        out.println(sb);
    }

    /** docs/json.md: a "patch" record per site, then a "summary". */
    private void printJson(PrintWriter out, Planner.Plan plan, boolean applied) {
        for (Planner.Site s : plan.sites()) {
            out.println(JsonRecords.patch(file.toString(), s));
        }
        out.println(JsonRecords.planSummary(file.toString(), key, to, plan, applied ? apply.toString() : null));
    }
}
