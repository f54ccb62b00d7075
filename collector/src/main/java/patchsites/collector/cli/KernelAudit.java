package patchsites.collector.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.scan.CallSite;
import patchsites.collector.table.Auditor;
import patchsites.collector.table.KernelTables;
import patchsites.collector.table.TableBounds;
import patchsites.collector.table.TableReader;
import patchsites.model.ModelOptions;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code audit --kernel}: every x86 kernel table of a whole kernel package in one run, the linked
 * vmlinux and every module. Each file is read once and audited per table it holds; what is kept of
 * a file is its findings, not its entries (the package has some 300,000). Files are audited in
 * parallel and reported in argument order (directories: sorted paths).
 */
final class KernelAudit {
    /** One table of one file, reduced to what is printed: its problems' text lines, or its JSON records (entries, missing, table). */
    record TableResult(String table, Auditor.Method method, String methodDetail, int entries, int invalid, int missing,
            int extra, int duplicates, List<String> lines) {
        boolean consistent() {
            return invalid == 0 && missing == 0 && extra == 0 && duplicates == 0;
        }
    }

    /** One file's tables. */
    private record Audited(boolean linked, List<TableResult> tables) {}

    private final ModelOptions model;
    private final TableBounds override;
    private final boolean verbose, json;
    /** Per table: files, entries, invalid, missing, extra, duplicates; and the files by how missing/extra were checked. */
    private final Map<String, long[]> totals = new LinkedHashMap<>();
    private final Map<String, Map<Auditor.Method, Integer>> methods = new LinkedHashMap<>();
    private int bad, linked, modules;
    private boolean findings;

    KernelAudit(ModelOptions model, TableBounds override, boolean verbose, boolean json) {
        this.model = model;
        this.override = override;
        this.verbose = verbose;
        this.json = json;
        for (KernelTables.Table t : KernelTables.X86) {
            totals.put(t.section(), new long[6]);
            methods.put(t.section(), new EnumMap<>(Auditor.Method.class));
        }
    }

    /** The files to audit: each argument, or every vmlinux* and *.ko under an argument that is a directory. */
    static List<Path> expand(List<Path> args) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path a : args) {
            if (!Files.isDirectory(a)) {
                out.add(a);
                continue;
            }
            try (Stream<Path> walk = Files.walk(a)) {
                walk.filter(p -> {
                    String n = p.getFileName().toString();
                    return Files.isRegularFile(p) && (n.endsWith(".ko") || n.equals("vmlinux") || n.startsWith("vmlinux-"));
                }).sorted().forEach(out::add);
            }
        }
        return out;
    }

    /** Audits every table one file holds; an archive, a .deb or a stripped vmlinux is an error. */
    private Inputs.Read<Audited> auditFile(Path f) {
        String file = f.toString();
        if (file.endsWith(".deb")) {
            return Inputs.failed(f, "is a Debian package: unpack it (dpkg -x " + file
                    + " DIR) and audit DIR, which holds the vmlinux (-dbg package) or the modules");
        }
        return Inputs.read(f, (member, elf) -> {
            if (member != null) {
                throw new ElfFormatException("is in an archive; --kernel audits vmlinux and .ko files");
            }
            boolean linked = elf.type() != ElfFile.ET_REL;
            if (linked && override == null && elf.symbolTableSection() < 0) {
                throw new ElfFormatException("no symbol table (a stripped vmlinux, or extract-vmlinux output): the"
                        + " bounds of .static_call_sites and __mcount_loc are symbols; audit the vmlinux of the -dbg"
                        + " package");
            }
            List<TableResult> tables = new ArrayList<>();
            for (KernelTables.Table t : KernelTables.X86) {
                Auditor.Options o = t.options(!linked, model, override);
                if (override == null && !TableReader.present(elf, t.section(), o.bounds())) {
                    continue;
                }
                tables.add(reduce(file, t.section(), Auditor.audit(elf, o)));
            }
            if (linked && tables.isEmpty()) {
                // Throws the reason: no symbol table, or none of the bounds.
                TableReader.read(elf, patchsites.collector.arch.Arches.forObject(elf), KernelTables.X86.get(0).section(),
                        KernelTables.X86.get(0).layout(), KernelTables.X86.get(0).bounds(), false);
            }
            return new Audited(linked, tables);
        });
    }

    private TableResult reduce(String file, String table, Auditor.Report r) {
        Predicate<Auditor.EntryReport> listed = e -> verbose || !e.problems().isEmpty();
        List<String> lines = json ? JsonRecords.tableRecords(file, null, table, r, listed) : new ArrayList<>();
        if (!json) {
            r.entries().stream().filter(listed).forEach(e -> lines.add("  " + table + " " + AuditCommand.entryLine(e)));
            for (CallSite m : r.missing()) {
                lines.add(String.format("  %s missing: %s+0x%x %s %s in %s has no entry", table, m.section(), m.offset(),
                        m.kind().label(), m.target(), m.function() == null ? "?" : m.function()));
            }
        }
        return new TableResult(table, r.method(), r.methodDetail(), r.entries().size(), r.invalid(), r.missing().size(),
                r.extra(), r.duplicates(), lines);
    }

    /** Audits {@code files} on {@code threads} threads; prints per file, then per table; returns the exit status. */
    int run(CommandSpec spec, List<Path> inputs, int threads, PrintWriter out, Diagnostics diag) {
        long t0 = System.nanoTime();
        Inputs.inOrder(spec, inputs, threads, diag.quiet(), this::auditFile, (read, progress) -> {
            out.flush();
            progress.hide();
            if (read.report(diag)) {
                bad++;
                return;
            }
            // An archive without a single object (only its members would be errors) counts as a module without tables.
            Audited r = read.objects.isEmpty() ? new Audited(false, List.of()) : read.objects.get(0);
            if (r.linked()) {
                linked++;
            } else {
                modules++;
            }
            for (TableResult t : r.tables()) {
                long[] s = totals.get(t.table());
                s[0]++;
                s[1] += t.entries();
                s[2] += t.invalid();
                s[3] += t.missing();
                s[4] += t.extra();
                s[5] += t.duplicates();
                methods.get(t.table()).merge(t.method(), 1, Integer::sum);
                findings |= !t.consistent();
                if (json) {
                    t.lines().forEach(out::println);
                } else if (verbose || !t.consistent()) {
                    out.printf("%s: %s: %d entries; %d invalid, %d missing, %d extra, %d duplicates (checked by %s)%n",
                            read.file, t.table(), t.entries(), t.invalid(), t.missing(), t.extra(), t.duplicates(),
                            t.method().label() + (t.methodDetail().isEmpty() ? "" : ": " + t.methodDetail()));
                    t.lines().forEach(out::println);
                }
            }
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        int files = inputs.size();
        if (bad == files) {
            if (json) { // the last record is always the summary (docs/json.md)
                out.println(JsonRecords.auditSummary(true, files, 0, 0, bad, 0, false));
            }
            out.flush();
            return 2; // nothing was audited: the one-line errors say why, a table of zeros would not
        }
        if (json) {
            int tables = 0;
            for (Map.Entry<String, long[]> e : totals.entrySet()) {
                out.println(JsonRecords.kernelTable(e.getKey(), e.getValue(), methods.get(e.getKey())));
                tables += (int) e.getValue()[0];
            }
            out.println(JsonRecords.auditSummary(true, files, linked, modules, bad, tables, !findings && bad == 0));
        } else {
            out.printf("kernel tables: %d files (%d linked, %d modules, %d unreadable), %.1f s%n", files, linked,
                    modules, bad, seconds);
            out.printf("  %-18s %6s %8s %8s %8s %8s %10s  %s%n", "table", "files", "entries", "invalid", "missing",
                    "extra", "duplicates", "missing/extra checked by");
            for (Map.Entry<String, long[]> e : totals.entrySet()) {
                long[] s = e.getValue();
                StringBuilder m = new StringBuilder();
                for (Map.Entry<Auditor.Method, Integer> x : methods.get(e.getKey()).entrySet()) {
                    m.append(m.length() == 0 ? "" : ", ").append(x.getKey().name().toLowerCase()).append(' ').append(x.getValue());
                }
                out.printf("  %-18s %6d %8d %8d %8d %8d %10d  %s%n", e.getKey(), s[0], s[1], s[2], s[3], s[4], s[5],
                        m.length() == 0 ? "-" : m);
            }
            out.println(bad > 0 ? "  result: bad input (exit 2)" : findings ? "  result: findings (exit 1)"
                    : "  result: every table consistent");
        }
        out.flush();
        return bad > 0 ? 2 : findings ? 1 : 0;
    }
}
