package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.Arches;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.arch.DecodedBranch;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.ElfFormatException;
import patchsites.collector.elf.FunctionIndex;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolConventions;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.isa.SiteKind;

/**
 * The core: walks the relocation sections of an object and turns each relocation that reaches a
 * target through a direct branch into a {@link CallSite}. Relocations are read in place; the
 * per-relocation work is one array load unless the relocation names a target.
 *
 * <p>A relocation becomes a site when (1) its symbol is a target, or is the section symbol of a
 * section whose target lies at symbol + addend + bias ({@link RelocationTarget}); (2) it applies
 * to an executable section that is not template code; and (3) the architecture decodes the bytes
 * around it as a direct call, jump or conditional jump whose displacement is the relocated field.
 * Anything else that names a target is a reference.
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

    /** What the architecture says about symbol values, in the form the ELF index takes. */
    public static SymbolConventions symbolConventions(Arch arch) {
        return new SymbolConventions(arch::codeAddress, arch::localEntryOffset, arch.abi().functionDescriptorSection(),
                arch.abi().tableAbsoluteType());
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
        return new ScanResult(arch.abi().name(), sites, warnings, pass.patternsMatched());
    }

    /** What one symbol table gives the scan, built when a relocation section first uses it. */
    private final class SymbolIndexes {
        final SymbolPlaces places;
        final TargetIndex targets;
        private FunctionIndex functions;
        private MappingSymbols mapping;

        SymbolIndexes(ElfFile elf, int symtab, SymbolConventions conventions) {
            places = new SymbolPlaces(elf, elf.symbolTable(symtab), conventions);
            targets = new TargetIndex(places, matcher);
        }

        /** Built only for objects with sites. */
        FunctionIndex functions() {
            if (functions == null) {
                functions = new FunctionIndex(places);
            }
            return functions;
        }

        MappingSymbols mapping() {
            if (mapping == null) {
                mapping = new MappingSymbols(places.elf(), places.symbols());
            }
            return mapping;
        }
    }

    /**
     * The code of the section a relocation section patches, as {@link Arch#decodeBranch} may ask
     * about it: instruction boundaries and mapping symbols.
     */
    private static final class SectionCode implements CodeContext {
        private final int section;
        private final SymbolIndexes symbols;
        private final boolean usesMapping;
        /** Ends of the branches found so far in this section: known instruction boundaries. */
        private final Boundaries knownBoundaries;

        SectionCode(int section, SymbolIndexes symbols, boolean usesMapping, Boundaries knownBoundaries) {
            this.section = section;
            this.symbols = symbols;
            this.usesMapping = usesMapping;
            this.knownBoundaries = knownBoundaries;
        }

        /** Start of the function around {@code offset}, else the section start: a known instruction boundary. */
        @Override
        public long atOrBefore(long offset) {
            FunctionIndex fi = symbols.functions();
            int row = fi.containing(section, offset);
            long start = row < 0 ? 0 : fi.start(row);
            // The end of a branch already decoded in this section is a boundary too: decoding from
            // it keeps a function full of prefixed branches linear instead of quadratic.
            return Math.max(start, knownBoundaries.floor(offset));
        }

        @Override
        public char mappingAt(long offset) {
            return usesMapping ? symbols.mapping().at(section, offset) : 0;
        }
    }

    /** One scan of one object: the loop over its relocation sections. */
    private final class Pass {
        private final ElfFile elf;
        private final Arch arch;
        private final SymbolConventions conventions;
        private final List<String> warnings;
        private final List<CallSite> sites;
        private final DecodedBranch branch = new DecodedBranch();
        private final SymbolIndexes[] bySymtab;
        /** The storage of each section's branch ends, emptied per section: no allocation per section. */
        private final Boundaries boundaries = new Boundaries();
        private final DefinedTargets definedTargets;

        Pass(ElfFile elf, Arch arch, List<String> warnings, List<CallSite> sites) {
            this.elf = elf;
            this.arch = arch;
            this.conventions = symbolConventions(arch);
            this.warnings = warnings;
            this.sites = sites;
            bySymtab = new SymbolIndexes[elf.sectionCount()];
            definedTargets = new DefinedTargets(elf, arch);
        }

        private SymbolIndexes indexes(int symtab) {
            SymbolIndexes symbols = bySymtab[symtab];
            if (symbols == null) {
                symbols = bySymtab[symtab] = new SymbolIndexes(elf, symtab, conventions);
            }
            return symbols;
        }

        Set<String> patternsMatched() {
            Set<String> seen = new HashSet<>();
            for (SymbolIndexes s : bySymtab) {
                if (s != null) {
                    seen.addAll(s.targets.patternsMatched);
                }
            }
            return seen;
        }

        void run() {
            for (int r = 1; r < elf.sectionCount(); r++) {
                int type = elf.sectionType(r);
                int target = elf.sectionInfo(r);
                // sh_info 0: dynamic relocations, not attached to one section. ElfFile has checked
                // that sh_link is a symbol table and sh_info a section with contents.
                if ((type != ElfFile.SHT_REL && type != ElfFile.SHT_RELA) || target == 0) {
                    continue;
                }
                boolean exec = elf.isExecutable(target);
                if ((exec || includeRefs) && !(exec && arch.abi().isTemplateSection(elf.sectionName(target)))) {
                    if (elf.sectionLink(r) == 0) {
                        throw new ElfFormatException(elf.sectionName(r) + ": sh_link 0 is not a symbol table");
                    }
                    scanRelocations(r, target, exec);
                }
            }
            int symtab = elf.symbolTableSection();
            if (symtab > 0) {
                SymbolIndexes symbols = indexes(symtab);
                decode(symbols);
                if (decoding != Decoding.ALL_CALLS) {
                    definedTargets.warn(symbols.places, symbols.targets, matcher, warnings,
                            section -> new SectionCode(section, symbols, arch.abi().mappingSymbols(), new Boundaries()));
                }
            }
        }

        /** Runs {@link DecodingPass} over the sections {@link #decoding} selects; nothing else pays for it. */
        private void decode(SymbolIndexes symbols) {
            TargetIndex index = symbols.targets;
            if (arch.decodingCodec() == null || decoding == Decoding.LOCAL_TARGETS && index.unrelocatedCalls == null
                    || decoding == Decoding.DEFINED_TARGETS && index.definedInCode.length == 0) {
                return; // the common case: nothing to decode, nothing allocated
            }
            boolean[] sections = new boolean[elf.sectionCount()];
            for (int sec = 1; sec < sections.length; sec++) {
                sections[sec] = decoding == Decoding.ALL_CALLS ? elf.isExecutable(sec)
                        : decoding == Decoding.LOCAL_TARGETS && index.unrelocatedCalls != null && index.unrelocatedCalls[sec];
            }
            if (decoding == Decoding.DEFINED_TARGETS) {
                for (int t : index.definedInCode) {
                    sections[symbols.places.symbols().definingSection(t)] = true;
                }
            }
            DecodingPass pass = null;
            for (int sec = 1; sec < sections.length; sec++) {
                if (!sections[sec] || arch.abi().isTemplateSection(elf.sectionName(sec))
                        || elf.sectionType(sec) == ElfFile.SHT_NOBITS || (elf.sectionFlags(sec) & ElfFile.SHF_COMPRESSED) != 0) {
                    continue;
                }
                if (pass == null) {
                    pass = new DecodingPass(arch);
                }
                Patched p = new Patched(-1, sec, true, symbols);
                pass.decode(elf, sec, symbols.functions().startsIn(sec), index.targetsAt, decoding == Decoding.ALL_CALLS,
                        (start, b, target) -> add(p, start, b.length(), start, b.kind(), target, CallSite.Via.DECODED));
            }
        }

        private void scanRelocations(int relSection, int target, boolean exec) {
            SymbolIndexes symbols = indexes(elf.sectionLink(relSection));
            byte[] kinds = symbols.targets.kind;
            Relocations rel = elf.relocations(relSection);
            int count = rel.count();
            Patched patched = null;
            for (int k = 0; k < count; k++) {
                int sym = rel.symbol(k);
                if (sym <= 0 || sym >= kinds.length) {
                    if (sym != 0) {
                        symbols.places.symbols().checkIndex(sym, elf.sectionName(relSection) + " entry " + k);
                    }
                    continue;
                }
                byte kind = kinds[sym];
                if (kind == 0) {
                    continue;
                }
                if (patched == null) {
                    patched = new Patched(relSection, target, exec, symbols);
                }
                examine(patched, rel, k, kind);
            }
        }

        /** Relocation {@code k}, whose symbol is a target ({@code kind} NAMED) or may lead to one (SECTION). */
        private void examine(Patched p, Relocations rel, int k, byte kind) {
            long field = elf.relocatedField(p.relSection, rel, k, p.section, p.text.limit());
            int type = rel.type(k), sym = rel.symbol(k);
            long addend = arch.addend(rel, k, p.text, field);
            branch.addendIsNotOffset = false;
            boolean isBranch = p.exec && arch.decodeBranch(p.text, field, type, p.code, branch);
            int targetSym;
            if (kind == TargetIndex.NAMED) {
                if (isBranch && reached(p, sym, addend, branch.targetBias, branch.addendIsNotOffset) < 0) {
                    isBranch = false; // a branch into the middle of the target is not a call to it
                }
                targetSym = sym;
            } else {
                long bias = isBranch ? branch.targetBias : arch.referenceBias(p.text, field, type, p.exec, p.code);
                targetSym = reached(p, sym, addend, bias, false);
                if (targetSym < 0) {
                    return;
                }
            }
            if (isBranch) {
                add(p, branch.start, branch.length, field, branch.kind, targetSym,
                        kind == TargetIndex.NAMED ? CallSite.Via.RELOCATION : null);
            } else if (includeRefs) {
                add(p, field, 0, field, SiteKind.REF, targetSym, CallSite.Via.RELOCATION);
            }
        }

        private int reached(Patched p, int sym, long addend, long bias, boolean addendIsNotOffset) {
            return RelocationTarget.reached(p.symbols.places, p.symbols.targets.targetsAt, sym, addend, bias,
                    addendIsNotOffset);
        }

        /**
         * Records a site. {@code via} null: a branch through a section-relative relocation (a
         * relocation too, counted apart for the local-alias warning).
         */
        private void add(Patched p, long offset, int length, long field, SiteKind kind, int targetSym,
                CallSite.Via via) {
            if (kind != SiteKind.REF) {
                p.code.knownBoundaries.add(offset + length);
                DefinedTargets.count(p.symbols.targets, targetSym, via); // for the warnings about them
            }
            FunctionIndex fi = p.symbols.functions();
            int row = fi.containing(p.section, offset);
            sites.add(new CallSite(p.section, p.sectionName, offset, length, field, kind,
                    p.symbols.places.symbols().name(targetSym), row < 0 ? null : fi.name(row),
                    row < 0 ? 0 : offset - fi.start(row), via == null ? CallSite.Via.RELOCATION : via));
        }

        /**
         * A section that relocations patch, once one of them names a target (made per section, not
         * per relocation), or that the decoding pass reads ({@code relSection} -1).
         */
        private final class Patched {
            final int relSection, section;
            /** Decoded once for all of the section's sites. */
            final String sectionName;
            final boolean exec;
            final SymbolIndexes symbols;
            final ByteBuffer text;
            final SectionCode code;

            Patched(int relSection, int section, boolean exec, SymbolIndexes symbols) {
                this.relSection = relSection;
                this.section = section;
                this.sectionName = elf.sectionName(section);
                this.exec = exec;
                this.symbols = symbols;
                if ((elf.sectionFlags(section) & ElfFile.SHF_COMPRESSED) != 0) {
                    // Its bytes are a compression header and zlib/zstd data, not instructions.
                    throw new ElfFormatException(elf.sectionName(relSection) + " relocates "
                            + elf.sectionName(section) + ", which is compressed (SHF_COMPRESSED): code must be"
                            + " uncompressed to be scanned");
                }
                this.text = elf.data(section);
                boundaries.clear();
                this.code = new SectionCode(section, symbols, arch.abi().mappingSymbols(), boundaries);
            }
        }
    }
}
