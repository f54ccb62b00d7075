package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.arch.DecodedBranch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolTable;

/**
 * Finds the calls and jumps through function pointers held in objects whose names match
 * ({@code --pointer=pv_ops}): the memory-indirect form, whose relocation names the object (or the
 * section symbol of the section defining it) and whose instruction the architecture decodes
 * ({@link Arch#decodeMemoryIndirect}). The slot's default is the function named by the data
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

    public List<PointerSite> scan(ElfFile elf) {
        List<PointerSite> sites = new ArrayList<>();
        new Pass(elf, Arches.forObject(elf), sites).run();
        sites.sort(ORDER);
        return sites;
    }

    /** One scan of one object. */
    private final class Pass {
        private final ElfFile elf;
        private final Arch arch;
        private final List<PointerSite> sites;
        private final DecodedBranch branch = new DecodedBranch();
        private final Map<Integer, FunctionIndex> functions = new HashMap<>();
        /** Data section → (offset → name of the function its relocation there names). */
        private final Map<Integer, Map<Long, String>> initializers = new HashMap<>();

        Pass(ElfFile elf, Arch arch, List<PointerSite> sites) {
            this.elf = elf;
            this.arch = arch;
            this.sites = sites;
        }

        void run() {
            Map<Integer, byte[]> kinds = new HashMap<>();
            for (int r = 1; r < elf.sectionCount(); r++) {
                int type = elf.sectionType(r);
                if (type != ElfFile.SHT_REL && type != ElfFile.SHT_RELA) {
                    continue;
                }
                int target = elf.sectionInfo(r);
                if (target <= 0 || target >= elf.sectionCount() || !elf.isExecutable(target)
                        || arch.abi().isTemplateSection(elf.sectionName(target))
                        || elf.sectionType(target) == ElfFile.SHT_NOBITS) {
                    continue;
                }
                int symtab = elf.sectionLink(r);
                if (elf.sectionType(symtab) != ElfFile.SHT_SYMTAB) {
                    continue; // dynamic relocations: no object file of ours
                }
                SymbolTable symbols = elf.symbolTable(symtab);
                byte[] kind = kinds.computeIfAbsent(symtab, s -> pointerKinds(symbols));
                scanSection(r, target, symtab, symbols, kind);
            }
        }

        /** Per symbol: NAMED for a pointer object, SECTION for the section symbol of a section defining one. */
        private byte[] pointerKinds(SymbolTable symbols) {
            int n = symbols.count();
            byte[] kind = new byte[n];
            boolean[] defines = new boolean[elf.sectionCount()];
            for (int i = 1; i < n; i++) {
                int type = symbols.type(i);
                if (type == SymbolTable.STT_SECTION || type == SymbolTable.STT_FILE || type == SymbolTable.STT_FUNC) {
                    continue;
                }
                int off = symbols.nameOffset(i);
                if (off != 0 && matcher.matches(symbols.names().bytes(), off, symbols.names().length(off))) {
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
            return kind;
        }

        private void scanSection(int relSection, int target, int symtab, SymbolTable symbols, byte[] kind) {
            Relocations rel = elf.relocations(relSection);
            FunctionIndex fi = functions.computeIfAbsent(symtab, s -> new FunctionIndex(elf, symbols, arch));
            long base = TargetIndex.sectionBase(elf, target);
            CodeContext context = offset -> {
                int row = fi.containing(target, offset);
                return row < 0 ? 0 : fi.start(row);
            };
            ByteBuffer text = null;
            for (int k = 0; k < rel.count(); k++) {
                int sym = rel.symbol(k);
                if (sym <= 0 || sym >= kind.length || kind[sym] == 0) {
                    continue;
                }
                if (text == null) {
                    text = elf.data(target);
                }
                long field = rel.offset(k) - base;
                if (field < 0 || field >= text.limit()) {
                    throw new ElfFormatException(elf.sectionName(relSection) + " entry " + k + ": offset 0x"
                            + Long.toHexString(field) + " is outside " + elf.sectionName(target));
                }
                long addend = rel.hasAddends() ? rel.addend(k) : arch.implicitAddend(text, field, rel.type(k));
                if (!arch.decodeMemoryIndirect(text, field, rel.type(k), context, branch)) {
                    continue;
                }
                int object = sym;
                long slot = addend + branch.targetBias;
                if (kind[sym] == SECTION) {
                    int sec = symbols.definingSection(sym);
                    long at = symbols.value(sym) + slot;
                    object = objectAt(symbols, kind, sec, at);
                    if (object < 0) {
                        continue; // another object of that section
                    }
                    slot = at - symbols.value(object);
                }
                String name = symbols.name(object);
                int row = fi.containing(target, branch.start);
                sites.add(new PointerSite(target, elf.sectionName(target), branch.start, branch.length, branch.kind,
                        slot == 0 ? name : name + (slot < 0 ? "-0x" + Long.toHexString(-slot) : "+0x" + Long.toHexString(slot)),
                        slot, defaultOf(symtab, symbols, object, slot), row < 0 ? null : fi.name(row),
                        row < 0 ? 0 : branch.start - fi.start(row)));
            }
        }

        /** The pointer object of section {@code sec} that covers {@code at}, or -1. */
        private int objectAt(SymbolTable symbols, byte[] kind, int sec, long at) {
            for (int i = 1; i < kind.length; i++) {
                if (kind[i] == NAMED && symbols.definingSection(i) == sec) {
                    long v = symbols.value(i), size = symbols.size(i);
                    if (at == v || at > v && at < v + size) {
                        return i;
                    }
                }
            }
            return -1;
        }

        /** The function in the slot's static initializer in this object, or null. */
        private String defaultOf(int symtab, SymbolTable symbols, int object, long slot) {
            int sec = symbols.definingSection(object);
            if (sec <= 0 || elf.sectionType(sec) == ElfFile.SHT_NOBITS) {
                return null;
            }
            long at = symbols.value(object) - TargetIndex.sectionBase(elf, sec) + slot;
            return initializers.computeIfAbsent(sec, s -> initializersOf(s)).get(at);
        }

        /** Offset → function for each absolute pointer-sized data relocation applying to {@code sec}. */
        private Map<Long, String> initializersOf(int sec) {
            Map<Long, String> out = new HashMap<>();
            long base = TargetIndex.sectionBase(elf, sec);
            for (int r = 1; r < elf.sectionCount(); r++) {
                int type = elf.sectionType(r);
                if (type != ElfFile.SHT_REL && type != ElfFile.SHT_RELA || elf.sectionInfo(r) != sec) {
                    continue;
                }
                int symtab = elf.sectionLink(r);
                if (elf.sectionType(symtab) != ElfFile.SHT_SYMTAB) {
                    continue;
                }
                SymbolTable symbols = elf.symbolTable(symtab);
                FunctionIndex fi = functions.computeIfAbsent(symtab, s -> new FunctionIndex(elf, symbols, arch));
                Relocations rel = elf.relocations(r);
                ByteBuffer data = rel.hasAddends() ? null : elf.data(sec);
                for (int k = 0; k < rel.count(); k++) {
                    if (rel.type(k) != arch.abi().tableAbsoluteType()) {
                        continue;
                    }
                    int sym = rel.symbol(k);
                    if (sym <= 0 || sym >= symbols.count()) {
                        continue;
                    }
                    long field = rel.offset(k) - base;
                    long addend = rel.hasAddends() ? rel.addend(k) : arch.implicitAddend(data, field, rel.type(k));
                    String name;
                    if (symbols.type(sym) == SymbolTable.STT_SECTION) {
                        int code = symbols.definingSection(sym);
                        long at = code > 0 ? arch.codeAddress(symbols.value(sym)) + addend - TargetIndex.sectionBase(elf, code) : -1;
                        int row = code > 0 ? fi.containing(code, at) : -1;
                        name = row >= 0 && fi.start(row) == at ? fi.name(row) : null;
                    } else {
                        name = addend == 0 ? symbols.name(sym) : null;
                    }
                    if (name != null) {
                        out.put(field, name);
                    }
                }
            }
            return out;
        }
    }
}
