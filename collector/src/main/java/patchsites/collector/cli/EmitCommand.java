package patchsites.collector.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.emit.ObjectRewriter;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.ScanResult;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "emit",
        mixinStandardHelpOptions = true,
        header = "Write the call-site table of the matching sites into an object.",
        description = "Writes the call-site table of the matching sites into a relocatable object,"
                + " replacing a table of the same name if there is one.",
        footerHeading = "%nNotes:%n",
        footer = {
                "Layouts (docs/formats.md):",
                "  site-key  s32 site, s32 key|tail: struct static_call_site",
                "  site      s32 site: .retpoline_sites, .return_sites",
                "  abs       pointer-sized absolute address: __mcount_loc",
                "",
                "The object is written to a temporary file that is renamed into place: on",
                "any error the original is untouched. A symbolic link is written through to",
                "its target, a device or FIFO with ordinary writes, a file with other hard",
                "links in place (docs/robustness.md, output rules). Several objects: each is",
                "all or nothing, the others are still written. With --verbose, emit says how",
                "many entries it wrote.",
                "",
                "An object without sites gets no table, as objtool writes none: --in-place",
                "leaves it untouched, -o copies it; a table of that name already in it is",
                "emptied. A --target that matches no symbol in any input is a warning.",
                "",
                "Examples:",
                "  patchsites emit --target='__SCT__*' --section=.static_call_sites \\",
                "      --layout=site-key --key-prefix=__SCT__=__SCK__ --in-place vmlinux.o",
                "  patchsites emit --target=__fentry__ --section=__mcount_loc --layout=abs \\",
                "      -o out.o in.o"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {Main.EXIT_OK, Main.EXIT_BAD})
final class EmitCommand extends Subcommand {
    @Mixin
    TargetOptions targetOptions;

    @Mixin
    JobsOption jobs;

    @Option(names = "--section", required = true, paramLabel = "NAME", description = "Name of the table section.")
    String section;

    @Option(names = "--layout", required = true, paramLabel = "LAYOUT", completionCandidates = Completions.Layouts.class,
            description = "site-key, site or abs.")
    String layout;

    @Mixin
    KeyOptions keyOptions;

    @Option(names = "--key-fallback", paramLabel = "target|error", defaultValue = "target",
            completionCandidates = Completions.KeyFallbacks.class,
            description = "site-key: when the key symbol is not in the object, use the target itself (default,"
                    + " as objtool does for modules) or fail.")
    String keyFallback;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ObjectRewrites.Destination destination;

    @Parameters(paramLabel = "FILE", arity = "1..*",
            description = "Relocatable ELF objects (.o, .ko, ld -r output); several only with --in-place.")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = out();
        Diagnostics diag = diagnostics();
        TargetMatcher matcher = targetOptions.matcher(diag);
        if (matcher == null) {
            return 2;
        }
        TableLayout tableLayout;
        TableEmitter.KeyRule keys;
        try {
            tableLayout = TableLayout.parse(layout);
            keys = keyRule();
        } catch (IllegalArgumentException e) {
            diag.error(e.getMessage());
            return 2;
        }
        UnmatchedTargets unmatched = targetOptions.unmatched();
        int rc = new ObjectRewrites(spec, destination,
                (elf, where, d) -> prepare(elf, where, d, matcher, tableLayout, keys, unmatched)).run(files, jobs, out, diag);
        if (rc == 0) {
            unmatched.warn(diag); // with a file unread, its symbols are unknown
        }
        return rc;
    }

    /** Scans one object and prepares its table. */
    private ObjectRewrites.Prepared prepare(ElfFile elf, String where, Diagnostics diag, TargetMatcher matcher,
            TableLayout tableLayout, TableEmitter.KeyRule keys, UnmatchedTargets unmatched) {
        ScanResult scan = new Scanner(matcher, false).scan(elf);
        unmatched.observe(scan);
        for (String w : scan.warnings()) {
            diag.warning(where, w);
        }
        ObjectRewriter rewriter = new ObjectRewriter(elf);
        TableEmitter.Summary summary = TableEmitter.prepare(rewriter, scan.sites(), section, tableLayout, keys);
        if (summary.leftOutInGroups() > 0) {
            diag.warning(where, Diagnostics.count(summary.leftOutInGroups(), "site", "sites") + " in COMDAT group sections were left out of "
                    + section + ": an entry outside its group would break the final link when ld discards a"
                    + " duplicate copy of the group");
        }
        // No sites, no table, as objtool does: the object is left as it is (-o gets a copy),
        // unless it holds a table of that name already, which is then emptied.
        if (summary.entries() == 0 && elf.sectionNamed(section) < 0) {
            return new ObjectRewrites.Prepared(null, !verbose() ? null : target -> String.format(
                    "%s: 0 entries in %s (%s): no sites, no section written%n", target, section, tableLayout.label()));
        }
        if (!verbose()) {
            return new ObjectRewrites.Prepared(rewriter, null);
        }
        return new ObjectRewrites.Prepared(rewriter, target -> String.format("%s: %s in %s (%s)%s%s%n", target,
                Diagnostics.count(summary.entries(), "entry", "entries"), section, tableLayout.label(),
                summary.keyFallbacks() > 0 ? ", " + summary.keyFallbacks() + " keyed by their target" : "",
                summary.sectionSymbolsAdded() > 0 ? ", "
                        + Diagnostics.count(summary.sectionSymbolsAdded(), "section symbol", "section symbols") + " added" : ""));
    }

    private TableEmitter.KeyRule keyRule() {
        if (!Completions.KeyFallbacks.VALUES.contains(keyFallback)) {
            throw new IllegalArgumentException("--key-fallback takes target or error, not '" + keyFallback + "'");
        }
        boolean fallback = keyFallback.equals("target");
        TableEmitter.KeyRule rule = keyOptions.rule(fallback, layout);
        return rule != null ? rule : new TableEmitter.KeyRule(null, null, fallback);
    }
}
