package patchsites.collector.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Source;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.table.Auditor;
import patchsites.model.ModelOptions;
import patchsites.model.Verdict;
import patchsites.model.X86Policy;

/**
 * The kernel's own tables are correct, so auditing every one of them must find no invalid,
 * missing, extra or duplicate entry (targets derived from each table itself).
 */
class AuditCorpusTest {
    @ParameterizedTest
    @CsvSource({".static_call_sites,site-key", ".retpoline_sites,site", ".return_sites,site", "__mcount_loc,abs"})
    void everyKernelTableAuditsClean(String table, String layout) throws Exception {
        List<Path> modules = Corpus.modules();
        TableEmitter.KeyRule keys = table.equals(".static_call_sites") ? new TableEmitter.KeyRule("__SCT__", "__SCK__", true)
                : null;
        Auditor.Options options = new Auditor.Options(table, TableLayout.parse(layout), null, keys,
                new ModelOptions(X86Policy.ALIGNED));
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong audited = new AtomicLong(), entries = new AtomicLong(), atomic = new AtomicLong();
        modules.parallelStream().forEach(ko -> {
            try (Source src = Source.map(ko)) {
                ElfFile elf = ElfFile.parse(src);
                if (!has(elf, table)) {
                    return;
                }
                Auditor.Report r = Auditor.audit(elf, options);
                audited.incrementAndGet();
                entries.addAndGet(r.entries().size());
                atomic.addAndGet(r.verdicts().getOrDefault(Verdict.ATOMIC, 0));
                if (!r.consistent()) {
                    problems.add(ko + ": " + r.invalid() + " invalid, " + r.missing().size() + " missing, " + r.extra()
                            + " extra, " + r.duplicates() + " duplicates; first: " + r.entries().stream()
                                    .filter(e -> !e.problems().isEmpty()).findFirst().map(Object::toString).orElse("-"));
                }
            } catch (Exception e) {
                problems.add(ko + ": " + e);
            }
        });
        System.out.printf("audit %s: %d modules, %d entries, %d atomic under the aligned policy%n", table, audited.get(),
                entries.get(), atomic.get());
        List<String> sorted = new ArrayList<>(problems);
        Collections.sort(sorted);
        assertEquals(List.of(), sorted.subList(0, Math.min(10, sorted.size())));
        assertTrue(audited.get() > 500, "too few tables audited: " + audited.get());
    }

    private static boolean has(ElfFile elf, String name) {
        for (int i = 1; i < elf.sectionCount(); i++) {
            if (elf.sectionName(i).equals(name)) {
                return true;
            }
        }
        return false;
    }
}
