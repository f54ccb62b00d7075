package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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

    /** Where the scan decodes instructions to find the calls that carry no relocation ({@link DecodingPass}). */
    public enum Decoding {
        /**
         * The default: the executable sections that define a local target, or a global target with
         * a local alias. Nothing is decoded when no target is defined in the object.
         */
        LOCAL_TARGETS,
        /** Every executable section that defines a target, local or global (clang's invisible {@code .L$local} aliases). */
        DEFINED_TARGETS,
        /**
         * Every executable section, and only direct calls are reported, with or without a
         * relocation: what objtool records in {@code .call_sites} (--all-calls).
         */
        ALL_CALLS
    }

    private final TargetMatcher matcher;
    private final boolean includeRefs;
    private final Decoding decoding;

    public Scanner(TargetMatcher matcher, boolean includeRefs) {
        this(matcher, includeRefs, Decoding.LOCAL_TARGETS);
    }

    public Scanner(TargetMatcher matcher, boolean includeRefs, Decoding decoding) {
        this.matcher = matcher;
        this.includeRefs = includeRefs && decoding != Decoding.ALL_CALLS;
        this.decoding = decoding;
    }

    public ScanResult scan(ElfFile elf) {
        Arch arch = Arches.forObject(elf);
        List<CallSite> sites = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Pass pass = new Pass(elf, arch, warnings, sites);
        pass.run();
        if (decoding == Decoding.ALL_CALLS) {
            sites.removeIf(s -> s.kind() != SiteKind.CALL);
        }
        sites.sort(ORDER);
        return new ScanResult(arch.abi().name(), sites, warnings, pass.exactNamesSeen());
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
        private final DefinedTargets definedTargets;

        Pass(ElfFile elf, Arch arch, List<String> warnings, List<CallSite> sites) {
            this.elf = elf;
            this.arch = arch;
            this.warnings = warnings;
            this.sites = sites;
            targets = new TargetIndex[elf.sectionCount()];
            functions = new FunctionIndex[elf.sectionCount()];
            mapping = new MappingSymbols[elf.sectionCount()];
            definedTargets = new DefinedTargets(elf, arch);
        }

        /** This pass as the code context of {@code section} (for {@link DefinedTargets}). */
        private CodeContext contextIn(int symtab, int section) {
            currentSymtab = symtab;
            currentSection = section;
            knownBoundaries.clear();
            return this;
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
            int symtab = mainSymbolTable();
            if (symtab > 0) {
                TargetIndex index = targetIndex(symtab);
                decode(symtab, index);
                if (decoding != Decoding.ALL_CALLS) {
                    definedTargets.warn(symtab, index, matcher, warnings, this::contextIn);
                }
            }
        }

        /** The object's SHT_SYMTAB (the one its code's relocations use), or 0. */
        private int mainSymbolTable() {
            for (int i = 1; i < elf.sectionCount(); i++) {
                if (elf.sectionType(i) == ElfFile.SHT_SYMTAB) {
                    return i;
                }
            }
            return 0;
        }

        private TargetIndex targetIndex(int symtab) {
            TargetIndex index = targets[symtab];
            if (index == null) {
                index = targets[symtab] = new TargetIndex(elf, elf.symbolTable(symtab), matcher, arch);
            }
            return index;
        }

        Set<String> exactNamesSeen() {
            Set<String> seen = new HashSet<>();
            for (TargetIndex t : targets) {
                if (t != null) {
                    seen.addAll(t.exactNamesSeen);
                }
            }
            return seen;
        }

        /** Runs {@link DecodingPass} over the sections {@link #decoding} selects; nothing else pays for it. */
        private void decode(int symtab, TargetIndex index) {
            if (!(arch.decodingCodec() != null) || decoding == Decoding.LOCAL_TARGETS && index.unrelocatedCalls == null
                    || decoding == Decoding.DEFINED_TARGETS && index.definedInCode.isEmpty()) {
                return; // the common case: nothing to decode, nothing allocated
            }
            boolean[] sections = new boolean[elf.sectionCount()];
            boolean any = false;
            for (int sec = 1; sec < sections.length; sec++) {
                boolean wanted;
                switch (decoding) {
                    case ALL_CALLS:
                        wanted = elf.isExecutable(sec);
                        break;
                    case DEFINED_TARGETS:
                        wanted = false;
                        break;
                    default:
                        wanted = index.unrelocatedCalls != null && index.unrelocatedCalls[sec];
                }
                sections[sec] = wanted && !arch.abi().isTemplateSection(elf.sectionName(sec));
                any |= sections[sec];
            }
            if (decoding == Decoding.DEFINED_TARGETS) {
                for (int t : index.definedInCode) {
                    int sec = elf.symbolTable(symtab).definingSection(t);
                    any |= sections[sec] = !arch.abi().isTemplateSection(elf.sectionName(sec));
                }
            }
            if (!any) {
                return;
            }
            DecodingPass pass = new DecodingPass(elf, arch);
            FunctionIndex fi = functionIndex(symtab);
            currentSymtab = symtab;
            for (int sec = 1; sec < sections.length; sec++) {
                if (sections[sec]) {
                    currentSection = sec;
                    pass.decode(sec, fi.startsIn(sec), index, decoding == Decoding.ALL_CALLS,
                            (s, start, b, target) -> add(s, start, b.length(), start, b.kind(), symtab, target,
                                    CallSite.Via.DECODED));
                }
            }
        }

        private void scanRelocations(int relSection, int target, boolean exec, int symtab) {
            currentSymtab = symtab;
            currentSection = target;
            knownBoundaries.clear();
            SymbolTable symbols = elf.symbolTable(symtab);
            TargetIndex index = targetIndex(symtab);
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
                    if ((elf.sectionFlags(target) & ElfFile.SHF_COMPRESSED) != 0) {
                        // Its bytes are a compression header and zlib/zstd data, not instructions.
                        throw new ElfFormatException(elf.sectionName(relSection) + " relocates "
                                + elf.sectionName(target) + ", which is compressed (SHF_COMPRESSED): code must be"
                                + " uncompressed to be scanned");
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
                add(target, branch.start, branch.length, field, branch.kind, symtab, targetSym, kind == TargetIndex.NAMED
                        ? CallSite.Via.RELOCATION : null);
            } else if (includeRefs) {
                add(target, field, 0, field, SiteKind.REF, symtab, targetSym, CallSite.Via.RELOCATION);
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

        /**
         * Records a site. {@code via} null: a branch through a section-relative relocation (a
         * relocation too, counted apart for the local-alias warning).
         */
        private void add(int sec, long offset, int length, long field, SiteKind kind, int symtab, int targetSym,
                CallSite.Via via) {
            if (kind != SiteKind.REF) {
                knownBoundaries.add(offset + length);
                if (!targets[symtab].definedInCode.isEmpty()) { // counted only for the warnings about them
                    definedTargets.count(targetSym, via);
                }
            }
            SymbolTable symbols = elf.symbolTable(symtab);
            FunctionIndex fi = functionIndex(symtab);
            int row = fi.containing(sec, offset);
            sites.add(new CallSite(sec, elf.sectionName(sec), offset, length, field, kind, symbols.name(targetSym),
                    row < 0 ? null : fi.name(row), row < 0 ? 0 : offset - fi.start(row),
                    via == null ? CallSite.Via.RELOCATION : via));
        }
    }
}
