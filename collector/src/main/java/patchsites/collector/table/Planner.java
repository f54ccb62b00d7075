package patchsites.collector.table;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.MappingSymbols;
import patchsites.model.Assessment;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.isa.SiteKind;
import patchsites.model.Transaction;

/**
 * Plans re-targeting every site of one key (or, for tables without keys, every site that now
 * branches to one symbol) in a linked program, and can apply the plan to a copy: boot-time
 * patching done offline.
 */
public final class Planner {
    /** One planned site, with where its bytes live in the file. */
    public record Site(TableEntry entry, String section, SiteKind kind, String oldTarget, long fileOffset,
            Transaction.Step step) {}

    /**
     * The plan: its sites in table order and the transaction they form. {@code policyId} and
     * {@code policy}: PatchRules.policyId and its prose; {@code syncRounds}: the transaction's cost
     * in the architecture's kernel terms (PatchRules.syncRounds).
     */
    public record Plan(String arch, String policyId, String policy, long keyAddress, long newTarget, List<Site> sites,
            Transaction transaction, String syncRounds) {}

    private Planner() {}

    public static Plan plan(ElfFile elf, String section, TableLayout layout, String key, String to, ModelOptions model) {
        if (elf.type() == ElfFile.ET_REL) {
            throw new ElfFormatException("is a relocatable object; plan works on linked programs, whose addresses are final");
        }
        Arch arch = Arches.forObject(elf);
        PatchRules baseRules = arch.patchRules(model);
        // ARM: the same bytes can be an A32 or a Thumb branch; the mapping symbols say which.
        MappingSymbols mapping = arch.abi().mappingSymbols() ? MappingSymbols.of(elf) : null;
        AddressMap map = new AddressMap(elf);
        long keyAddress = map.addressOf(key).orElseThrow(() -> new ElfFormatException("no symbol " + key));
        long newTarget = map.callTarget(to).orElseThrow(() -> new ElfFormatException("no symbol " + to));
        Transaction tx = new Transaction();
        List<Site> sites = new ArrayList<>();
        for (TableEntry e : TableReader.read(elf, arch, section, layout)) {
            if (e.problem() != null) {
                if (layout == TableLayout.SITE_KEY && e.keyAddress() == keyAddress) {
                    throw new ElfFormatException("entry " + e.index() + ": " + e.problem());
                }
                continue;
            }
            int sec = e.siteSection();
            PatchRules rules = mapping == null ? baseRules : baseRules.forState(mapping.at(sec, e.siteOffset()));
            ByteBuffer text = elf.data(sec);
            byte[] window = new byte[(int) Math.min(16, text.limit() - e.siteOffset())];
            text.get((int) e.siteOffset(), window);
            int len = rules.branchLength(window);
            byte[] insn = len > 0 ? java.util.Arrays.copyOf(window, len) : window;
            // No sentinel for "no branch": every long is a possible (upper-half) address.
            long current = len > 0 ? rules.target(insn, e.siteAddress()) : 0;
            boolean selected = layout == TableLayout.SITE_KEY ? e.keyAddress() == keyAddress
                    : len > 0 && current == keyAddress;
            if (!selected) {
                continue;
            }
            SiteKind recorded = layout == TableLayout.SITE_KEY ? (e.tail() ? SiteKind.TAIL : SiteKind.CALL) : null;
            Assessment a = rules.assess(insn, recorded, patchsites.model.Placement.exact(e.siteAddress()),
                    OptionalLong.of(newTarget));
            byte[] after = a.verdict() == patchsites.model.Verdict.INVALID
                    || a.verdict() == patchsites.model.Verdict.OUT_OF_RANGE ? insn : rules.retarget(insn, e.siteAddress(), newTarget);
            Transaction.Step step = new Transaction.Step(e.siteAddress(), insn, after, a);
            tx.add(step);
            sites.add(new Site(e, elf.sectionName(sec), len > 0 ? rules.decodeKind(insn) : null,
                    len <= 0 ? null : map.symbolAt(current), elf.sectionOffset(sec) + e.siteOffset(), step));
        }
        return new Plan(arch.abi().name(), baseRules.policyId(), baseRules.policy(), keyAddress, newTarget, sites, tx, baseRules.syncRounds(tx));
    }

    /** Writes the whole object with every planned site's new bytes in place. */
    public static void apply(ElfFile elf, Plan plan, java.nio.file.Path source, FileChannel out) throws IOException {
        if (!plan.transaction().feasible()) {
            throw new ElfFormatException("the plan has invalid or out-of-range sites; nothing written");
        }
        try (FileChannel in = FileChannel.open(source)) {
            long size = in.size(), done = 0;
            while (done < size) {
                done += in.transferTo(done, size - done, out);
            }
        }
        for (Site s : plan.sites()) {
            ByteBuffer b = ByteBuffer.wrap(s.step().after());
            long at = s.fileOffset();
            while (b.hasRemaining()) {
                at += out.write(b, at);
            }
        }
    }
}
