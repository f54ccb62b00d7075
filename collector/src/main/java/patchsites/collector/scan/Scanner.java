package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.DecodedBranch;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.Source;
import patchsites.collector.elf.SymbolTable;
import patchsites.isa.SiteKind;

/**
 * The core: walks the relocation sections of an object and turns each relocation that reaches a
 * target through a direct branch into a {@link CallSite}. Relocations are read in place; the
 * per-relocation work is one array load unless the relocation names a target.
 *
 * <p>A relocation becomes a site when (1) its symbol is a target, or is the section symbol of a
 * section whose target lies at symbol + addend + bias; (2) it applies to an executable section
 * that is not template code; and (3) the architecture decodes the bytes around it as a direct
 * call, jump or conditional jump whose displacement is the relocated field. Anything else that
 * names a target is a reference.
 */
public final class Scanner {
    private static final Comparator<CallSite> ORDER = Comparator.comparingInt(CallSite::sectionIndex)
            .thenComparingLong(CallSite::offset).thenComparingLong(CallSite::relocOffset);

    private final TargetMatcher matcher;
    private final boolean includeRefs;

    public Scanner(TargetMatcher matcher, boolean includeRefs) {
        this.matcher = matcher;
        this.includeRefs = includeRefs;
    }

    public ScanResult scan(ElfFile elf) {
        Arch arch = Arches.forObject(elf);
        List<CallSite> sites = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        new Pass(elf, arch, warnings, sites).run();
        sites.sort(ORDER);
        return new ScanResult(arch.abi().name(), sites, warnings);
    }

    /** State of one scan of one object. */
    private final class Pass implements CodeContext {
        private final ElfFile elf;
        private final Arch arch;
        private final List<String> warnings;
        private final List<CallSite> sites;
        private final DecodedBranch branch = new DecodedBranch();
        private final TargetIndex[] targets;
        private final FunctionIndex[] functions;
        private final MappingSymbols[] mapping;
        /** The relocation section being walked: its symbol table and the section it patches. */
        private int currentSymtab, currentSection;
        /** Ends of the branches found so far in the current section: known instruction boundaries. */
        private final Boundaries knownBoundaries = new Boundaries();

        Pass(ElfFile elf, Arch arch, List<String> warnings, List<CallSite> sites) {
            this.elf = elf;
            this.arch = arch;
            this.warnings = warnings;
            this.sites = sites;
            targets = new TargetIndex[elf.sectionCount()];
            functions = new FunctionIndex[elf.sectionCount()];
            mapping = new MappingSymbols[elf.sectionCount()];
        }

        void run() {
            int n = elf.sectionCount();
            for (int r = 1; r < n; r++) {
                int type = elf.sectionType(r);
                if (type != ElfFile.SHT_REL && type != ElfFile.SHT_RELA) {
                    continue;
                }
                int target = elf.sectionInfo(r);
                if (target == 0) {
                    continue; // dynamic relocations: not attached to one section
                }
                boolean exec = elf.isExecutable(target);
                if (!exec && !includeRefs) {
                    continue;
                }
                if (exec && arch.abi().isTemplateSection(elf.sectionName(target))) {
                    continue;
                }
                int symtab = elf.sectionLink(r);
                if (elf.sectionType(symtab) != ElfFile.SHT_SYMTAB && elf.sectionType(symtab) != ElfFile.SHT_DYNSYM) {
                    throw new ElfFormatException(elf.sectionName(r) + ": sh_link " + symtab + " is not a symbol table");
                }
                scanRelocations(r, target, exec, symtab);
            }
        }

        private void scanRelocations(int relSection, int target, boolean exec, int symtab) {
            currentSymtab = symtab;
            currentSection = target;
            knownBoundaries.clear();
            SymbolTable symbols = elf.symbolTable(symtab);
            TargetIndex index = targets[symtab];
            if (index == null) {
                index = targets[symtab] = new TargetIndex(elf, symbols, matcher, arch, warnings);
            }
            byte[] kinds = index.kind;
            Relocations rel = elf.relocations(relSection);
            int count = rel.count();
            ByteBuffer text = null;
            for (int k = 0; k < count; k++) {
                int sym = rel.symbol(k);
                if (sym <= 0 || sym >= kinds.length) {
                    if (sym != 0) {
                        symbols.checkIndex(sym, elf.sectionName(relSection) + " entry " + k);
                    }
                    continue;
                }
                byte kind = kinds[sym];
                if (kind == 0) {
                    continue;
                }
                if (text == null) {
                    if (elf.sectionType(target) == ElfFile.SHT_NOBITS) {
                        throw new ElfFormatException(elf.sectionName(relSection) + " relocates "
                                + elf.sectionName(target) + ", which is SHT_NOBITS");
                    }
                    text = elf.data(target);
                }
                examine(rel, k, sym, kind, relSection, target, exec, text, symtab, index);
            }
        }

        private void examine(Relocations rel, int k, int sym, byte kind, int relSection, int target, boolean exec,
                ByteBuffer text, int symtab, TargetIndex index) {
            SymbolTable symbols = elf.symbolTable(symtab);
            long field = rel.offset(k) - TargetIndex.sectionBase(elf, target);
            int type = rel.type(k);
            if (field < 0 || field >= text.limit()) {
                throw new ElfFormatException(elf.sectionName(relSection) + " entry " + k + ": offset " + Source.hex(field)
                        + " is outside " + elf.sectionName(target) + " (" + Source.hex(text.limit()) + " bytes)");
            }
            long addend = rel.hasAddends() ? rel.addend(k) : arch.implicitAddend(text, field, type);
            branch.addendIsNotOffset = false;
            boolean isBranch = exec && arch.decodeBranch(text, field, type, this, branch);
            int targetSym;
            if (kind == TargetIndex.NAMED) {
                if (isBranch && !branch.addendIsNotOffset && addend + branch.targetBias != 0) {
                    isBranch = false; // a branch into the middle of the target is not a call to it
                }
                targetSym = sym;
            } else {
                int sec = symbols.definingSection(sym);
                long base = arch.codeAddress(symbols.value(sym)) - TargetIndex.sectionBase(elf, sec);
                long bias = isBranch ? branch.targetBias : arch.referenceBias(text, field, type, exec, this);
                targetSym = index.targetAt(sec, base + addend + bias);
                if (targetSym < 0) {
                    return;
                }
            }
            if (isBranch) {
                add(target, branch.start, branch.length, field, branch.kind, symtab, targetSym);
            } else if (includeRefs) {
                add(target, field, 0, field, SiteKind.REF, symtab, targetSym);
            }
        }

        /** Start of the function around {@code offset}, else the section start: a known instruction boundary. */
        @Override
        public long atOrBefore(long offset) {
            FunctionIndex fi = functionIndex(currentSymtab);
            int row = fi.containing(currentSection, offset);
            long start = row < 0 ? 0 : fi.start(row);
            // The end of a branch already decoded in this section is a boundary too: decoding from
            // it keeps a function full of prefixed branches linear instead of quadratic.
            return Math.max(start, knownBoundaries.floor(offset));
        }

        @Override
        public char mappingAt(long offset) {
            if (!arch.abi().mappingSymbols()) {
                return 0;
            }
            MappingSymbols m = mapping[currentSymtab];
            if (m == null) {
                m = mapping[currentSymtab] = new MappingSymbols(elf, elf.symbolTable(currentSymtab));
            }
            return m.at(currentSection, offset);
        }

        private FunctionIndex functionIndex(int symtab) {
            FunctionIndex fi = functions[symtab];
            if (fi == null) {
                fi = functions[symtab] = new FunctionIndex(elf, elf.symbolTable(symtab), arch);
            }
            return fi;
        }

        private void add(int sec, long offset, int length, long field, SiteKind kind, int symtab, int targetSym) {
            if (kind != SiteKind.REF) {
                knownBoundaries.add(offset + length);
            }
            SymbolTable symbols = elf.symbolTable(symtab);
            FunctionIndex fi = functionIndex(symtab);
            int row = fi.containing(sec, offset);
            sites.add(new CallSite(sec, elf.sectionName(sec), offset, length, field, kind, symbols.name(targetSym),
                    row < 0 ? null : fi.name(row), row < 0 ? 0 : offset - fi.start(row)));
        }
    }
}
