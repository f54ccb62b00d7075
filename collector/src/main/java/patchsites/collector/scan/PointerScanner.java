package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.arch.DecodedBranch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.FunctionIndex;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolsAt;
import patchsites.collector.elf.SymbolTable;

/**
 * Finds the calls and jumps through function pointers held in objects whose names match
 * ({@code --pointer=pv_ops}): the memory-indirect form, whose relocation names the object (or the
 * section symbol of the section defining it) and whose instruction the architecture decodes
 * ({@link Arch#decodeMemoryIndirect}), and the loaded form, a {@code mov} of the slot into a
 * register followed to the call through it ({@link LoadedPointers}; loads it cannot follow are
 * {@link GivenUpLoad}s). For the census it also keeps the other references to the objects:
 * stores to a slot and addresses taken ({@link PointerRef}). The slot's default is the function named by the data
 * relocation at the slot in this object's copy of the object, when it defines one: a slot of an
 * object defined elsewhere has no default here, rather than a guess.
 */
public final class PointerScanner {
    private static final Comparator<PointerSite> ORDER = Comparator.comparingInt(PointerSite::sectionIndex)
            .thenComparingLong(PointerSite::offset);
    private static final byte NAMED = 1, SECTION = 2;

    private final TargetMatcher matcher;

    public PointerScanner(TargetMatcher matcher) {
        this.matcher = matcher;
    }

    /**
     * What one object holds: the sites, the loads of a slot that were not followed to a call, the
     * other references to pointer objects (stores, addresses taken: the census's), and which
     * matching objects this object file defines and which of them are local to it.
     */
    public record Result(List<PointerSite> sites, List<GivenUpLoad> givenUp, List<PointerRef> refs,
            Set<String> defined, Set<String> local) {
        public Result(List<PointerSite> sites, List<GivenUpLoad> givenUp) {
            this(sites, givenUp, List.of(), Set.of(), Set.of());
        }
    }

    public List<PointerSite> scan(ElfFile elf) {
        return scanAll(elf).sites();
    }

    public Result scanAll(ElfFile elf) {
        Pass pass = new Pass(elf, Arches.forObject(elf));
        pass.run();
        pass.sites.sort(ORDER);
        pass.givenUp.sort(Comparator.comparingInt(GivenUpLoad::sectionIndex).thenComparingLong(GivenUpLoad::offset));
        return new Result(pass.sites, pass.givenUp, pass.refs, pass.defined, pass.local);
    }

    /** One scan of one object. */
    private final class Pass {
        private final ElfFile elf;
        private final Arch arch;
        final List<PointerSite> sites = new ArrayList<>();
        final List<GivenUpLoad> givenUp = new ArrayList<>();
        final List<PointerRef> refs = new ArrayList<>();
        final Set<String> defined = new HashSet<>(), local = new HashSet<>();
        private final DecodedBranch branch = new DecodedBranch();
        private final LoadedPointers.Outcome outcome = new LoadedPointers.Outcome();
        private final Map<Integer, Pointers> bySymtab = new HashMap<>();

        Pass(ElfFile elf, Arch arch) {
            this.elf = elf;
            this.arch = arch;
        }

        void run() {
            for (int target = 1; target < elf.sectionCount(); target++) {
                int r = elf.relocationSectionOf(target);
                if (r < 0 || elf.sectionType(target) == ElfFile.SHT_NOBITS) {
                    continue;
                }
                int symtab = elf.sectionLink(r);
                if (elf.sectionType(symtab) != ElfFile.SHT_SYMTAB) {
                    continue; // dynamic relocations: no object file of ours
                }
                String name = elf.sectionName(target);
                if (!elf.isExecutable(target)) {
                    // Debug info and other unallocated sections name objects without taking addresses.
                    if ((elf.sectionFlags(target) & ElfFile.SHF_ALLOC) != 0
                            && !DefinedTargets.describesInstructions(name) && !name.startsWith("__ksymtab")) {
                        addressesIn(r, target, bySymtab.computeIfAbsent(symtab, s -> new Pointers(s)));
                    }
                } else if (!arch.abi().isTemplateSection(name)) {
                    scanSection(r, target, bySymtab.computeIfAbsent(symtab, s -> new Pointers(s)));
                }
            }
        }

        /** What one symbol table gives the pointer scan. */
        private final class Pointers {
            final SymbolPlaces places;
            final SymbolTable symbols;
            /** Per symbol: NAMED for a pointer object, SECTION for the section symbol of a section defining one. */
            final byte[] kind;
            /** The pointer objects by place: which one covers a section offset. */
            final FunctionIndex objects;
            private FunctionIndex functions;
            private SymbolsAt functionsAt;
            private LoadedPointers loads;
            /** Data section -> (offset -> name of the function its relocation there names). */
            private final Map<Integer, Map<Long, String>> initializers = new HashMap<>();

            Pointers(int symtab) {
                symbols = elf.symbolTable(symtab);
                places = new SymbolPlaces(elf, symbols, Scanner.symbolConventions(arch));
                int n = symbols.count();
                kind = new byte[n];
                boolean[] defines = new boolean[elf.sectionCount()];
                for (int i = 1; i < n; i++) {
                    int type = symbols.type(i);
                    if (type == SymbolTable.STT_SECTION || type == SymbolTable.STT_FILE || type == SymbolTable.STT_FUNC) {
                        continue;
                    }
                    int off = symbols.nameOffset(i);
                    if (off != 0 && matcher.matches(symbols.names(), off)) {
                        kind[i] = NAMED;
                        int sec = symbols.definingSection(i);
                        if (sec > 0) {
                            defines[sec] = true;
                        }
                    }
                }
                for (int i = 1; i < n; i++) {
                    if (symbols.type(i) == SymbolTable.STT_SECTION) {
                        int sec = symbols.definingSection(i);
                        if (sec > 0 && defines[sec]) {
                            kind[i] = SECTION;
                        }
                    }
                }
                objects = new FunctionIndex(places, i -> kind[i] == NAMED);
            }

            FunctionIndex functions() {
                if (functions == null) {
                    functions = new FunctionIndex(places);
                }
                return functions;
            }

            LoadedPointers loads() {
                if (loads == null) {
                    loads = new LoadedPointers(elf, arch, functions());
                }
                return loads;
            }

            SymbolsAt functionsAt() {
                if (functionsAt == null) {
                    functionsAt = new SymbolsAt(places, i -> symbols.type(i) == SymbolTable.STT_FUNC);
                }
                return functionsAt;
            }
        }

        private void scanSection(int relSection, int target, Pointers p) {
            Relocations rel = elf.relocations(relSection);
            byte[] kind = p.kind;
            SymbolTable symbols = p.symbols;
            ByteBuffer text = null;
            CodeContext context = null;
            for (int k = 0; k < rel.count(); k++) {
                int sym = rel.symbol(k);
                if (sym <= 0 || sym >= kind.length || kind[sym] == 0) {
                    continue;
                }
                if (text == null) {
                    text = elf.data(target);
                    FunctionIndex fi = p.functions();
                    context = offset -> {
                        int row = fi.containing(target, offset);
                        return row < 0 ? 0 : fi.start(row);
                    };
                }
                long field = elf.relocatedField(relSection, rel, k, target, text.limit());
                long addend = arch.addend(rel, k, text, field);
                long load = -1;
                if (!arch.decodeMemoryIndirect(text, field, rel.type(k), context, branch)) {
                    // The loaded form: a PC-relative data relocation on the disp32 of mov ptr(%rip),%reg.
                    LoadedPointers follower = p.loads();
                    if (!follower.enabled()) {
                        continue;
                    }
                    load = rel.type(k) == arch.abi().tablePcRel32Type() ? follower.loadAt(text, field, outcome) : -1;
                    if (load < 0) {
                        reference(p, follower, target, text, field, addend, sym);
                        continue;
                    }
                    branch.targetBias = 4; // the disp32 ends the mov: the slot is at S + A + 4
                }
                long slot = addend + branch.targetBias;
                int object = objectOf(p, sym, slot);
                if (object < 0) {
                    continue; // another object of that section
                }
                slot = slotIn(p, sym, object, slot);
                record(p, object);
                String name = symbols.name(object);
                String pointer = slot == 0 ? name
                        : name + (slot < 0 ? "-0x" + Long.toHexString(-slot) : "+0x" + Long.toHexString(slot));
                FunctionIndex fi = p.functions();
                if (load >= 0) {
                    p.loads().follow(target, text, load, outcome.register, outcome);
                    if (outcome.kind == null) {
                        int row = fi.containing(target, load);
                        givenUp.add(new GivenUpLoad(target, elf.sectionName(target), load, pointer,
                                outcome.giveUp.label, row < 0 ? null : fi.name(row), row < 0 ? 0 : load - fi.start(row)));
                        continue;
                    }
                    int row = fi.containing(target, outcome.start);
                    sites.add(new PointerSite(target, elf.sectionName(target), outcome.start, outcome.length,
                            outcome.kind, pointer, slot, defaultOf(p, object, slot), row < 0 ? null : fi.name(row),
                            row < 0 ? 0 : outcome.start - fi.start(row), load, outcome.thunk));
                    continue;
                }
                int row = fi.containing(target, branch.start);
                sites.add(new PointerSite(target, elf.sectionName(target), branch.start, branch.length, branch.kind,
                        pointer, slot, defaultOf(p, object, slot), row < 0 ? null : fi.name(row),
                        row < 0 ? 0 : branch.start - fi.start(row)));
            }
        }

        /**
         * A relocation in code against a pointer object that is no call through it and no load of
         * a slot: a store to a slot, a read (ignored), or the object's address taken.
         */
        private void reference(Pointers p, LoadedPointers follower, int sec, ByteBuffer text, long field,
                long addend, int sym) {
            long[] bias = new long[1];
            LoadedPointers.Access access = follower.access(sec, text, field, bias);
            if (access == LoadedPointers.Access.READ) {
                return;
            }
            boolean store = access == LoadedPointers.Access.STORE;
            int object = objectOf(p, sym, addend + bias[0]);
            if (object < 0) {
                return;
            }
            long slot = store ? slotIn(p, sym, object, addend + bias[0]) : -1;
            FunctionIndex fi = p.functions();
            int row = fi.containing(sec, field);
            record(p, object);
            refs.add(new PointerRef(p.symbols.name(object), slot, store, elf.sectionName(sec), field,
                    row < 0 ? null : fi.name(row)));
        }

        /** Relocations in a data section against a pointer object: its address taken. */
        private void addressesIn(int relSection, int sec, Pointers p) {
            Relocations rel = elf.relocations(relSection);
            ByteBuffer data = null;
            for (int k = 0; k < rel.count(); k++) {
                int sym = rel.symbol(k);
                if (sym <= 0 || sym >= p.kind.length || p.kind[sym] == 0) {
                    continue;
                }
                if (data == null && !rel.hasAddends()) {
                    data = elf.data(sec);
                }
                long field = elf.relocatedField(relSection, rel, k, sec, data != null ? data.limit() : elf.sectionSize(sec));
                long addend = arch.addend(rel, k, data, field);
                int object = objectOf(p, sym, addend);
                if (object >= 0) {
                    record(p, object);
                    refs.add(new PointerRef(p.symbols.name(object), -1, false, elf.sectionName(sec), field, null));
                }
            }
        }

        /** The pointer object a relocation against {@code sym} plus {@code offset} (addend + bias) names, or -1. */
        private int objectOf(Pointers p, int sym, long offset) {
            if (p.kind[sym] != SECTION) {
                return sym;
            }
            if (!p.places.place(sym)) {
                return -1;
            }
            int row = p.objects.containing(p.places.section, p.places.offset + offset);
            return row < 0 ? -1 : p.objects.symbol(row);
        }

        /** The offset in {@code object} that {@code sym} plus {@code offset} names. */
        private long slotIn(Pointers p, int sym, int object, long offset) {
            if (p.kind[sym] != SECTION || !p.places.place(sym)) {
                return offset;
            }
            long at = p.places.offset + offset;
            p.places.place(object);
            return at - p.places.offset;
        }

        /** Notes whether this object file defines the pointer object, and whether it is local to it. */
        private void record(Pointers p, int object) {
            String name = p.symbols.name(object);
            if (p.symbols.definingSection(object) > 0) {
                defined.add(name);
            }
            if (p.symbols.binding(object) == SymbolTable.STB_LOCAL) {
                local.add(name);
            }
        }

        /** The function in the slot's static initializer in this object, or null. */
        private String defaultOf(Pointers p, int object, long slot) {
            if (!p.places.place(object) || elf.sectionType(p.places.section) == ElfFile.SHT_NOBITS) {
                return null;
            }
            long at = p.places.offset + slot;
            return p.initializers.computeIfAbsent(p.places.section, s -> initializersOf(p, s)).get(at);
        }

        /**
         * Offset → function for each absolute pointer-sized data relocation applying to {@code sec}:
         * the function it reaches by the scan's rule ({@link RelocationTarget}).
         */
        private Map<Long, String> initializersOf(Pointers p, int sec) {
            Map<Long, String> out = new HashMap<>();
            int r = elf.relocationSectionOf(sec);
            if (r < 0 || elf.sectionLink(r) == 0 || elf.symbolTable(elf.sectionLink(r)) != p.symbols) {
                return out;
            }
            Relocations rel = elf.relocations(r);
            ByteBuffer data = rel.hasAddends() ? null : elf.data(sec);
            for (int k = 0; k < rel.count(); k++) {
                int sym = rel.symbol(k);
                if (rel.type(k) != arch.abi().tableAbsoluteType() || sym <= 0 || sym >= p.symbols.count()) {
                    continue;
                }
                long field = elf.relocatedField(r, rel, k, sec, data != null ? data.limit() : elf.sectionSize(sec));
                long addend = arch.addend(rel, k, data, field);
                int function = RelocationTarget.reached(p.places, p.functionsAt(), sym, addend, 0, false);
                if (function >= 0) {
                    out.put(field, p.symbols.name(function));
                }
            }
            return out;
        }
    }
}
