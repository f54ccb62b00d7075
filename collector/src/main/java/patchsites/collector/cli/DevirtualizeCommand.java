package patchsites.collector.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.emit.Devirtualizer;
import patchsites.collector.emit.ObjectRewriter;
import patchsites.collector.scan.PointerScanner;
import patchsites.collector.scan.PointerSite;
import patchsites.collector.scan.TargetMatcher;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "devirtualize",
        mixinStandardHelpOptions = true,
        header = "Turn calls through function pointers with a known default into direct calls.",
        description = "Rewrites each call and jump through a slot of the named pointer objects"
                + " (call *ops+8(%%rip), jmp *ops+8(%%rip)) whose default the object's static initializer"
                + " gives into a direct call or jump to that default, and records the rewritten sites with"
                + " their slot in a table, so that a runtime re-targets them when the pointer changes (x86-64).",
        footerHeading = "%nNotes:%n",
        footer = {
                "On x86-64, ff 15 disp32 (call) becomes e8 rel32 + nop and ff 25 (jmp) e9",
                "rel32 + nop, relocated R_X86_64_PLT32 against the default, addend -4, as gcc",
                "writes a call by name. Only sites whose slot has a default in this object",
                "are rewritten (run it on the object that defines the pointer object, such as",
                "vmlinux.o or an ld -r output); the others are counted, and listed with",
                "--verbose. The table (docs/formats.md, .pointer_call_sites) has one site-key",
                "entry per rewritten site: s32 site, s32 slot | tail. An existing table of",
                "that name is kept and merged: a second run rewrites nothing and gives the",
                "same bytes (an object with nothing to rewrite is left as it is by --in-place",
                "and copied byte for byte by -o).",
                "The loaded shape (mov ops+8(%%rip),%%rax; call *%%rax or a retpoline thunk) is",
                "not rewritten.",
                "",
                "The object is written to a temporary file that is renamed into place: on",
                "any error the original is untouched (docs/robustness.md, output rules).",
                "",
                "Examples:",
                "  patchsites devirtualize --pointer=pv_ops --in-place vmlinux.o",
                "  patchsites -v devirtualize --pointer='*_ops' -o out.o in.o"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {Main.EXIT_OK, Main.EXIT_BAD})
final class DevirtualizeCommand extends Subcommand {
    @Mixin
    PointerOptions pointerOptions;

    @Mixin
    JobsOption jobs;

    @Option(names = "--section", paramLabel = "NAME", defaultValue = Devirtualizer.DEFAULT_SECTION,
            description = "Table section name; by default ${DEFAULT-VALUE}")
    String section;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ObjectRewrites.Destination destination;

    @Parameters(paramLabel = "FILE", arity = "1..*",
            description = "Relocatable x86-64 ELF objects (.o, ld -r output); several only with --in-place.")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = out();
        Diagnostics diag = diagnostics();
        if (!pointerOptions.given()) {
            diag.error("devirtualize needs --pointer or --pointers-file");
            return 2;
        }
        TargetMatcher pointers = pointerOptions.matcher(diag);
        if (pointers == null) {
            return 2;
        }
        boolean verbose = verbose(), quiet = diag.quiet();
        PointerScanner scanner = new PointerScanner(pointers);
        return new ObjectRewrites(spec, destination, (elf, where, d) -> prepare(elf, scanner, verbose, quiet))
                .run(files, jobs, out, diag);
    }

    private ObjectRewrites.Prepared prepare(ElfFile elf, PointerScanner scanner, boolean verbose, boolean quiet) {
        List<PointerSite> sites = scanner.scan(elf);
        ObjectRewriter rewriter = new ObjectRewriter(elf);
        Devirtualizer.Summary s = Devirtualizer.prepare(rewriter, sites, section);
        // Nothing rewritten: the table, if any, is the one the object has, so the object is the
        // output as it is (--in-place leaves the file alone, -o gets a copy): a second run over a
        // devirtualized object gives the same bytes, as a relaid-out copy would not.
        ObjectRewriter write = s.rewritten().isEmpty() ? null : rewriter;
        return new ObjectRewrites.Prepared(write, quiet ? null : target -> report(target, s, verbose));
    }

    /** One line per object; with --verbose, one more per site rewritten or left. */
    private String report(Path target, Devirtualizer.Summary s, boolean verbose) {
        StringBuilder b = new StringBuilder();
        long calls = s.rewritten().stream().filter(p -> !p.kind().isTail()).count();
        b.append(target).append(": ").append(Diagnostics.count(s.rewritten().size(), "site", "sites"))
                .append(" devirtualized (").append(calls).append(" call, ").append(s.rewritten().size() - calls)
                .append(" tail), ").append(s.left().size()).append(" left as ")
                .append(s.left().size() == 1 ? "it was" : "they were").append("; ").append(section).append(": ")
                .append(Diagnostics.count(s.entries(), "entry", "entries"));
        if (s.sectionSymbolsAdded() > 0) {
            b.append(", ").append(Diagnostics.count(s.sectionSymbolsAdded(), "section symbol", "section symbols"))
                    .append(" added");
        }
        b.append(System.lineSeparator());
        if (verbose) {
            for (PointerSite p : s.rewritten()) {
                b.append(line(p, p.kind().isTail() ? "jmp " + p.defaultTarget() : "call " + p.defaultTarget()));
            }
            for (Devirtualizer.Left l : s.left()) {
                b.append(line(l.site(), "left: " + l.reason()));
            }
        }
        return b.toString();
    }

    private static String line(PointerSite p, String what) {
        String fn = p.function() == null ? "" : " (" + p.function() + "+0x" + Long.toHexString(p.functionOffset()) + ")";
        return String.format("  %s+0x%x%s %s %s: %s%n", Diagnostics.oneLine(p.section()), p.offset(), fn,
                p.kind().label(), Diagnostics.oneLine(p.pointer()), what);
    }
}
