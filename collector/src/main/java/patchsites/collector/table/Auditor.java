package patchsites.collector.table;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.BranchProbe;
import patchsites.collector.scan.CallSite;
import patchsites.collector.scan.DecodingScanner;
import patchsites.collector.scan.MappingSymbols;
import patchsites.collector.scan.Scanner;
import patchsites.collector.scan.TargetMatcher;
import patchsites.model.Assessment;
import patchsites.model.ModelOptions;
import patchsites.model.PatchRules;
import patchsites.model.Placement;
import patchsites.isa.SiteKind;
import patchsites.model.Verdict;

/**
 * Checks an existing call-site table: every entry must point at the first byte of a direct
 * branch of the recorded kind to a target, with the key that target implies; every such branch
 * in the object must have an entry; no entry may appear twice. Each valid entry also gets the
 * runtime model's verdict: can it be re-targeted with one store, or what does it need.
 */
public final class Auditor {
    /**
     * What to check a table against. {@code targets} null: the targets the table's own sites reach.
     * {@code bounds}: where a linked program keeps the table when it has no section of its name
     * ({@code boundsFirst}: even when it has). {@code kinds}: the branch kinds the table may hold
     * (null: any). {@code nopSites}: an entry may point at the architecture's patched-out call (a
     * 5-byte NOP where ftrace has converted {@code call __fentry__}).
     */
    public record Options(String section, TableLayout layout, TargetMatcher targets, TableEmitter.KeyRule keys,
            ModelOptions model, List<TableBounds> bounds, boolean boundsFirst, Set<SiteKind> kinds, boolean nopSites) {
        public Options(String section, TableLayout layout, TargetMatcher targets, TableEmitter.KeyRule keys,
                ModelOptions model) {
            this(section, layout, targets, keys, model, TableBounds.conventional(section), false, null, false);
        }
    }

    /**
     * How missing and extra entries were found: from the relocations of the code (objects, and
     * linked programs that kept theirs: {@code ld --emit-relocs}, the kernel's vmlinux), or not at
     * all (a linked program without relocations: only the entries themselves are checked).
     */
    public enum Method {
        RELOCATIONS("relocations"),
        DECODING("decoding each function (linked program without relocations)"),
        NONE("none: linked program without relocations or symbols, or an architecture the scan does not decode;"
                + " missing/extra not checked");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** One entry's findings. {@code problems} empty and verdict not invalid: the entry is good. */
    public record EntryReport(TableEntry entry, String section, SiteKind kind, int length, String target,
            Assessment assessment, List<String> problems) {}

    /** The whole table's findings; {@code policyId} is {@link PatchRules#policyId}, {@code policy} its prose. */
    public record Report(String arch, String policyId, String policy, boolean linked, Method method, String methodDetail,
            List<EntryReport> entries,
            List<CallSite> missing, Map<Verdict, Integer> verdicts, int placementDependent, int extra, int duplicates,
            int invalid) {
        public boolean consistent() {
            return missing.isEmpty() && extra == 0 && duplicates == 0 && invalid == 0;
        }
    }

    private static final int MAX_INSN = 16;

    private Auditor() {}

    public static Report audit(ElfFile elf, Options o) {
        Audit audit = new Audit(elf, o);
        // emit writes no table into an object without sites, as objtool: with the targets named, an
        // object without the section is an empty table, and every site the scan finds in it is missing.
        boolean absent = o.targets() != null && !audit.linked && !TableReader.present(elf, o.section(), o.bounds());
        List<TableEntry> entries = absent ? List.of()
                : TableReader.read(elf, audit.arch, o.section(), o.layout(), o.bounds(), o.boundsFirst());
        audit.findSites(entries);
        List<EntryReport> reports = new ArrayList<>(entries.size());
        for (TableEntry e : entries) {
            reports.add(audit.check(e));
        }
        return audit.report(reports);
    }

    /** One audit of one table: the sites found afresh, and the tallies of the entries checked so far. */
    private static final class Audit {
        final ElfFile elf;
        final Options o;
        final Arch arch;
        final boolean linked;
        final PatchRules baseRules;
        /** ARM: the same bytes can be an A32 or a Thumb branch; the mapping symbols say which. */
        final MappingSymbols mapping;
        /** The rules in the state of the entry last checked. */
        PatchRules rules;
        Method method;
        String methodDetail = "";
        TargetMatcher targets;
        /** Sites of the table's targets found afresh, by (section, offset). */
        final Map<Long, CallSite> scanned = new HashMap<>();
        /** Entries by (section, offset): the first entry of each site. */
        final Map<Long, Integer> seen = new HashMap<>();
        final Map<Verdict, Integer> verdicts = new EnumMap<>(Verdict.class);
        int placementDependent, extra, duplicates, invalid;
        /** Built once, on first use: it indexes every symbol. */
        AddressMap addresses;

        Audit(ElfFile elf, Options o) {
            this.elf = elf;
            this.o = o;
            arch = Arches.forObject(elf);
            rules = baseRules = arch.patchRules(o.model());
            mapping = arch.abi().mappingSymbols() ? MappingSymbols.of(elf) : null;
            linked = elf.type() != ElfFile.ET_REL;
            // A linked program's kept relocations find its sites only with explicit addends (RELA): on
            // REL architectures (i386, arm) the link overwrote the addends the instructions held.
            method = !linked || (arch.abi().rela() && relocatesCode(elf)) ? Method.RELOCATIONS : Method.DECODING;
        }

        /**
         * Sites of the table's targets found afresh: from the relocations of the code, else by
         * decoding each function (its targets must be named: derived from the entries' branches).
         */
        void findSites(List<TableEntry> entries) {
            targets = o.targets();
            if (method == Method.RELOCATIONS) {
                if (targets == null) {
                    targets = TargetMatcher.exact(derivedTargets(elf, entries, o.keys()));
                }
                if (!targets.isEmpty()) {
                    for (CallSite s : new Scanner(targets, false).scan(elf).sites()) {
                        scanned.put(key(s.sectionIndex(), s.offset()), s);
                    }
                }
                return;
            }
            if (targets == null) {
                targets = TargetMatcher.exact(decodedTargets(elf, entries, o.keys(), rules, mapping, baseRules));
            }
            DecodingScanner.Result decoded = DecodingScanner.scan(elf, targets);
            if (decoded == null) {
                method = Method.NONE;
                return;
            }
            for (CallSite s : decoded.sites()) {
                scanned.put(key(s.sectionIndex(), s.offset()), s);
            }
            methodDetail = decoded.functions() + " functions, " + decoded.bytes() + " bytes decoded; lost step in "
                    + decoded.lostStep();
        }

        EntryReport check(TableEntry e) {
            List<String> problems = new ArrayList<>();
            String section = e.siteSection() >= 0 ? elf.sectionName(e.siteSection()) : null;
            Site site = e.problem() != null ? new Site(null, null, 0, Assessment.invalid(e.problem())) : site(e, problems);
            Assessment a = site.assessment();
            // An entry that is wrong in itself (not a branch, wrong kind, not a target, wrong key) is invalid.
            boolean wrong = a.verdict() == Verdict.INVALID;
            for (String p : problems) {
                if (!p.startsWith("duplicate")) {
                    if (!wrong) {
                        a = Assessment.invalid(p);
                        wrong = true;
                    }
                }
            }
            if (wrong) {
                invalid++;
                if (!problems.contains(a.reason())) {
                    problems.add(0, a.reason());
                }
            }
            verdicts.merge(a.verdict(), 1, Integer::sum);
            if (a.placementDependent()) {
                placementDependent++;
            }
            return new EntryReport(e, section, site.kind(), site.length(), site.target(), a, problems);
        }

        /** What the branch at an entry's site is, and the model's verdict on it. */
        private record Site(SiteKind kind, String target, int length, Assessment assessment) {}

        private Site site(TableEntry e, List<String> problems) {
            long k = key(e.siteSection(), e.siteOffset());
            Integer first = seen.putIfAbsent(k, e.index());
            if (first != null) {
                problems.add("duplicate of entry " + first);
                duplicates++;
            }
            byte[] bytes = bytesAt(elf, e.siteSection(), e.siteOffset());
            if (mapping != null) {
                rules = baseRules.forState(mapping.at(e.siteSection(), e.siteOffset()));
            }
            SiteKind kind = null;
            String target = null;
            int length = rules.branchLength(bytes);
            CallSite s = scanned.get(k);
            boolean nop = false;
            if (s != null) {
                kind = s.kind();
                target = s.target();
                length = s.length();
                checkKind(kind, target, problems);
            } else if (o.nopSites() && arch.patchedOutCallLength(bytes) > 0) {
                nop = true; // the call was there and has been converted; its target is gone with it
                length = arch.patchedOutCallLength(bytes);
            } else if (method == Method.RELOCATIONS) {
                extra(problems);
            }
            Assessment a;
            if (nop) {
                // ftrace turns it back into a call the way it patches every site: INT3 first (text_poke_queue).
                a = new Assessment(Verdict.BREAKPOINT, "patched-out call (" + length + "-byte NOP)", 3, false);
            } else if (length <= 0) {
                a = Assessment.invalid("bytes " + hex(bytes, 6) + " are not a direct call/jump");
                if (method == Method.DECODING) {
                    extra(problems);
                }
            } else {
                byte[] insn = java.util.Arrays.copyOf(bytes, length);
                if (kind == null) {
                    kind = rules.decodeKind(insn);
                }
                SiteKind recorded = o.layout() == TableLayout.SITE_KEY ? (e.tail() ? SiteKind.TAIL : SiteKind.CALL) : kind;
                Placement where = linked ? Placement.exact(e.siteAddress())
                        : Placement.relocatable(e.siteOffset(), elf.sectionAlign(e.siteSection()));
                a = rules.assess(insn, recorded, where, OptionalLong.empty());
                if (linked && target == null) {
                    if (addresses == null) {
                        addresses = new AddressMap(elf);
                    }
                    target = addresses.symbolAt(rules.target(insn, e.siteAddress()));
                }
                // Decoding covers function symbols only; an entry elsewhere is judged by its own bytes.
                if (method == Method.DECODING && s == null) {
                    if (target == null || !matches(targets, target)) {
                        extra(problems);
                    } else {
                        checkKind(kind, target, problems);
                    }
                }
            }
            checkKey(e, target, problems);
            return new Site(kind, target, length, a);
        }

        private void extra(List<String> problems) {
            problems.add("extra: no call or jump to a target starts here");
            extra++;
        }

        private void checkKind(SiteKind kind, String target, List<String> problems) {
            if (o.kinds() != null && !o.kinds().contains(kind)) {
                problems.add("a " + kind.label() + " to " + target + " does not belong in " + o.section());
            }
        }

        private void checkKey(TableEntry e, String target, List<String> problems) {
            if (o.layout() == TableLayout.SITE_KEY && target != null && o.keys() != null) {
                String want = o.keys().keyFor(target);
                boolean ok = want.equals(e.key()) || (o.keys().fallbackToTarget() && target.equals(e.key()));
                if (!ok) {
                    problems.add("key " + e.key() + " does not belong to target " + target + " (expected " + want + ")");
                }
            }
        }

        /** The report, with the sites found afresh that no entry points at, in (section, offset) order. */
        Report report(List<EntryReport> reports) {
            List<CallSite> missing = new ArrayList<>();
            for (Map.Entry<Long, CallSite> s : new TreeMap<>(scanned).entrySet()) {
                if (!seen.containsKey(s.getKey())) {
                    missing.add(s.getValue());
                }
            }
            return new Report(arch.abi().name(), rules.policyId(), rules.policy(), linked, method, methodDetail, reports, missing, verdicts,
                    placementDependent, extra, duplicates, invalid);
        }
    }

    private static boolean matches(TargetMatcher targets, String name) {
        byte[] b = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return targets.matches(ByteBuffer.wrap(b), 0, b.length);
    }

    /** Some executable section has a relocation section: objects always, linked programs with --emit-relocs. */
    private static boolean relocatesCode(ElfFile elf) {
        for (int s = 1; s < elf.sectionCount(); s++) {
            if (elf.isExecutable(s) && elf.relocationSectionOf(s) > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Targets reached by the branches the table's entries point at, and the targets their keys
     * name (so that an entry pointing at the wrong byte does not hide its target's real site).
     */
    private static Set<String> derivedTargets(ElfFile elf, List<TableEntry> entries, TableEmitter.KeyRule keys) {
        Map<Integer, List<Long>> bySection = new TreeMap<>();
        for (TableEntry e : entries) {
            if (e.problem() == null) {
                bySection.computeIfAbsent(e.siteSection(), s -> new ArrayList<>()).add(e.siteOffset());
            }
        }
        Set<String> names = new LinkedHashSet<>();
        for (TableEntry e : entries) {
            if (e.key() != null) {
                names.add(e.key()); // --key-fallback=target tables key sites by the target itself
                if (keys != null && keys.toPrefix() != null && e.key().startsWith(keys.toPrefix())) {
                    names.add(keys.fromPrefix() + e.key().substring(keys.toPrefix().length()));
                }
            }
        }
        for (Map.Entry<Integer, List<Long>> s : bySection.entrySet()) {
            long[] offs = s.getValue().stream().mapToLong(Long::longValue).sorted().distinct().toArray();
            names.addAll(BranchProbe.targets(elf, s.getKey(), offs).values());
        }
        return names;
    }

    /**
     * A linked program without relocations: the targets the entries' own branches reach (by
     * address), and the targets their keys name.
     */
    private static Set<String> decodedTargets(ElfFile elf, List<TableEntry> entries, TableEmitter.KeyRule keys,
            PatchRules rules, MappingSymbols mapping, PatchRules baseRules) {
        Set<String> names = new LinkedHashSet<>();
        AddressMap addresses = new AddressMap(elf);
        for (TableEntry e : entries) {
            if (e.key() != null) {
                names.add(e.key());
                if (keys != null && keys.toPrefix() != null && e.key().startsWith(keys.toPrefix())) {
                    names.add(keys.fromPrefix() + e.key().substring(keys.toPrefix().length()));
                }
            }
            if (e.problem() != null) {
                continue;
            }
            PatchRules r = mapping == null ? rules : baseRules.forState(mapping.at(e.siteSection(), e.siteOffset()));
            byte[] bytes = bytesAt(elf, e.siteSection(), e.siteOffset());
            int length = r.branchLength(bytes);
            if (length > 0) {
                String name = addresses.symbolAt(r.target(java.util.Arrays.copyOf(bytes, length), e.siteAddress()));
                if (name != null) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private static long key(int section, long offset) {
        return ((long) section << 40) ^ offset;
    }

    private static byte[] bytesAt(ElfFile elf, int section, long offset) {
        if (elf.sectionType(section) == ElfFile.SHT_NOBITS) {
            return new byte[0];
        }
        ByteBuffer d = elf.data(section);
        if (offset < 0 || offset >= d.limit()) {
            return new byte[0];
        }
        int n = (int) Math.min(MAX_INSN, d.limit() - offset);
        byte[] b = new byte[n];
        d.get((int) offset, b);
        return b;
    }

    static String hex(byte[] b, int max) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(max, b.length); i++) {
            s.append(i == 0 ? "" : " ").append(String.format("%02x", b[i] & 0xff));
        }
        return b.length == 0 ? "(none)" : s.toString();
    }
}
