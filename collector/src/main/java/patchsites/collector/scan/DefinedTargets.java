package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import patchsites.collector.arch.Arch;
import patchsites.collector.arch.CodeContext;
import patchsites.collector.elf.ElfFile;
import patchsites.collector.elf.Relocations;
import patchsites.collector.elf.SymbolPlaces;
import patchsites.collector.elf.SymbolTable;

/**
 * The targets an object defines, where a scan of relocations alone is blind: counts each one's
 * sites by how they were found, and words the warnings of docs/design.md, "Calls without
 * relocations" (calls found only by decoding, calls bound through a local alias, a target with
 * no call and no taken address: inlined?).
 */
final class DefinedTargets {
    private static final String DOC = "docs/design.md, \"Calls without relocations\"";

    /** A code context for relocations applying to {@code section} (x86 needs instruction boundaries). */
    interface Contexts {
        CodeContext in(int section);
    }

    private final ElfFile elf;
    private final Arch arch;
    /** Target symbol -> sites found {by a relocation naming it, by a section-relative one, by decoding}. */
    private final Map<Integer, int[]> siteCounts = new HashMap<>();

    DefinedTargets(ElfFile elf, Arch arch) {
        this.elf = elf;
        this.arch = arch;
    }

    /** Counts a site of {@code target}; {@code via} null: through a section-relative relocation. */
    void count(int target, CallSite.Via via) {
        int[] c = siteCounts.computeIfAbsent(target, k -> new int[3]);
        c[via == CallSite.Via.RELOCATION ? 0 : via == null ? 1 : 2]++;
    }

    /**
     * Says what the scan could not show by itself about the targets this object defines:
     * calls found only by decoding, calls bound through a local alias, and a target with no
     * call at all (inlined?).
     */
    void warn(SymbolPlaces places, TargetIndex index, TargetMatcher matcher, List<String> warnings, Contexts contexts) {
        if (index.definedInCode.isEmpty()) {
            return;
        }
        SymbolTable symbols = places.symbols();
        for (int t : index.definedInCode) {
            String name = symbols.name(t);
            int[] c = siteCounts.getOrDefault(t, new int[3]);
            int named = c[0], bySection = c[1], decoded = c[2];
            String sec = elf.sectionName(symbols.definingSection(t));
            boolean local = symbols.binding(t) == SymbolTable.STB_LOCAL;
            if (local && !(arch.decodingCodec() != null)) {
                warnings.add("target " + name + " is a local symbol in " + sec + ": calls to it from that same"
                        + " section were resolved by the assembler without a relocation, and " + arch.abi().name()
                        + " code is not decoded to find them (" + DOC + ")");
            } else if (local && decoded > 0) {
                warnings.add("target " + name + " is local (static) in " + sec + ": " + sites(decoded)
                        + " no relocation (the assembler resolved " + (decoded == 1 ? "it" : "them")
                        + ") and " + (decoded == 1 ? "was" : "were") + " found only by decoding; for calls the linker"
                        + " sees, call a wrapper name that 'patchsites stubs --alias=WRAPPER=" + name
                        + "' defines (" + DOC + ")");
            } else if (!local && decoded + bySection > 0) {
                int alias = index.localAlias(t);
                warnings.add("target " + name + " is global, but " + sites(decoded + bySection)
                        + " no PLT-capable reference to it: calls bound through a local alias"
                        + (alias > 0 ? " (" + symbols.name(alias) + ")" : "")
                        + ", as -fno-semantic-interposition makes them; " + decoded + " found by decoding, "
                        + bySection + " through a section-relative relocation (" + DOC + ")");
            }
            boolean blind = local && !(arch.decodingCodec() != null); // its calls may exist, unseen
            if (!blind && named + bySection + decoded == 0 && matcher.isExactName(name)
                    && !isReferenced(places, t, contexts)) {
                warnings.add("target " + name + " is defined in " + sec + " but has no call site and its address"
                        + " is not taken: callers may have inlined it (" + DOC + ")");
            }
        }
    }

    /**
     * Sections whose relocations describe instructions (unwind data, mcount and objtool's site
     * tables) rather than take an address that code may be entered at.
     */
    static boolean describesInstructions(String section) {
        switch (section) {
            case ".eh_frame": case "__mcount_loc": case "__patchable_function_entries": case ".orc_unwind_ip":
            case ".ibt_endbr_seal": case ".cfi_sites": case ".call_sites": case ".static_call_sites":
            case ".retpoline_sites": case ".return_sites":
                return true;
            default:
                return section.startsWith(".discard.");
        }
    }

    private String sites(int n) {
        return n == 1 ? "1 call site has" : n + " call sites have";
    }

    /**
     * Whether the program takes the address of target {@code t}: a relocation names it, or its
     * section at its offset, from code or allocated data. Tables that describe instructions
     * rather than hold function pointers do not count (unwind data, mcount and objtool tables).
     */
    private boolean isReferenced(SymbolPlaces places, int t, Contexts contexts) {
        if (!places.place(t)) {
            return false;
        }
        int sec = places.section;
        long at = places.offset;
        SymbolTable symbols = places.symbols();
        int symtab = elf.symbolTableSection(); // the one whose targets are warned about
        for (int applies = 1; applies < elf.sectionCount(); applies++) {
            int r = elf.relocationSectionOf(applies);
            if (r < 0 || elf.sectionLink(r) != symtab
                    || (elf.sectionFlags(applies) & ElfFile.SHF_ALLOC) == 0
                    || describesInstructions(elf.sectionName(applies))) {
                continue;
            }
            Relocations rel = elf.relocations(r);
            ByteBuffer data = null;
            CodeContext context = contexts.in(applies);
            for (int k = 0; k < rel.count(); k++) {
                int sym = rel.symbol(k);
                if (sym == t) {
                    return true;
                }
                if (sym <= 0 || sym >= symbols.count() || symbols.type(sym) != SymbolTable.STT_SECTION
                        || symbols.definingSection(sym) != sec || !places.place(sym)) {
                    continue;
                }
                if (data == null) {
                    data = elf.data(applies);
                }
                long field = rel.offset(k) - elf.sectionBase(applies);
                if (field < 0 || field >= data.limit()) {
                    continue;
                }
                int rtype = rel.type(k);
                long addend = rel.hasAddends() ? rel.addend(k) : arch.implicitAddend(data, field, rtype);
                long bias = arch.referenceBias(data, field, rtype, elf.isExecutable(applies), context);
                if (places.offset + addend + bias == at) {
                    return true;
                }
            }
        }
        return false;
    }
}
