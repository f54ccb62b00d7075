package patchsites.collector.scan;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
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

    DefinedTargets(ElfFile elf, Arch arch) {
        this.elf = elf;
        this.arch = arch;
    }

    /**
     * Counts a site of {@code target}, a symbol of {@code index}'s table, in {@link
     * TargetIndex#sitesFound}; {@code via} null: through a section-relative relocation. Only targets
     * defined in code are counted: no warning asks of others.
     */
    static void count(TargetIndex index, int target, CallSite.Via via) {
        int row = Arrays.binarySearch(index.definedInCode, target);
        if (row >= 0) {
            index.sitesFound[3 * row + (via == CallSite.Via.RELOCATION ? 0 : via == null ? 1 : 2)]++;
        }
    }

    /**
     * Says what the scan could not show by itself about the targets this object defines:
     * calls found only by decoding, calls bound through a local alias, and a target with no
     * call at all (inlined?). One warning per kind, with the count and the first few names
     * (issue 13, item 11): {@code --target='*'} makes every static function, and on ARM and
     * RISC-V every mapping symbol, a target, and a line for each flooded the terminal (61 lines
     * for 30 static functions in a riscv64 object, 823 for arm64 ext4.ko before it was decoded).
     */
    void warn(SymbolPlaces places, TargetIndex index, TargetMatcher matcher, List<String> warnings, Contexts contexts) {
        if (index.definedInCode.length == 0) {
            return;
        }
        int[] counts = index.sitesFound;
        SymbolTable symbols = places.symbols();
        Group undecoded = new Group(), decodedOnly = new Group(), viaAlias = new Group(), inlined = new Group();
        int aliasDecoded = 0, aliasBySection = 0;
        String onlyAlias = null;
        for (int row = 0; row < index.definedInCode.length; row++) {
            int t = index.definedInCode[row];
            String name = symbols.name(t);
            int named = counts[3 * row], bySection = counts[3 * row + 1], decoded = counts[3 * row + 2];
            String sec = elf.sectionName(symbols.definingSection(t));
            boolean local = symbols.binding(t) == SymbolTable.STB_LOCAL;
            boolean blind = local && arch.decodingCodec() == null; // its calls may exist, unseen
            if (blind) {
                undecoded.add(name + " in " + sec, 0);
            } else if (local && decoded > 0) {
                decodedOnly.add(name + " in " + sec, decoded);
            } else if (!local && decoded + bySection > 0) {
                int alias = index.localAlias(t);
                onlyAlias = alias > 0 ? symbols.name(alias) : null;
                viaAlias.add(name, decoded + bySection);
                aliasDecoded += decoded;
                aliasBySection += bySection;
            }
            if (!blind && named + bySection + decoded == 0 && matcher.isExactName(name)
                    && !isReferenced(places, t, contexts)) {
                inlined.add(name + " in " + sec, 0);
            }
        }
        if (undecoded.count == 1) {
            warnings.add("target " + undecoded.first().replaceFirst(" in ", " is a local symbol in ") + ": calls to it"
                    + " from that same section were resolved by the assembler without a relocation, and "
                    + arch.abi().name() + " code is not decoded to find them (" + DOC + ")");
        } else if (undecoded.count > 1) {
            warnings.add(undecoded.count + " targets are local symbols in code (" + undecoded.names() + "): calls to"
                    + " each from its own section were resolved by the assembler without a relocation, and "
                    + arch.abi().name() + " code is not decoded to find them (" + DOC + ")");
        }
        if (decodedOnly.count == 1) {
            String name = decodedOnly.first().substring(0, decodedOnly.first().indexOf(" in "));
            warnings.add("target " + decodedOnly.first().replaceFirst(" in ", " is local (static) in ") + ": "
                    + sites(decodedOnly.sites) + " no relocation (the assembler resolved " + (decodedOnly.sites == 1
                    ? "it" : "them") + ") and " + (decodedOnly.sites == 1 ? "was" : "were") + " found only by decoding;"
                    + " for calls the linker sees, call a wrapper name that 'patchsites stubs --alias=WRAPPER=" + name
                    + "' defines (" + DOC + ")");
        } else if (decodedOnly.count > 1) {
            warnings.add(decodedOnly.count + " targets are local (static) (" + decodedOnly.names() + "): "
                    + sites(decodedOnly.sites) + " no relocation (the assembler resolved them) and were found only by"
                    + " decoding; for calls the linker sees, call a wrapper name that 'patchsites stubs"
                    + " --alias=WRAPPER=TARGET' defines (" + DOC + ")");
        }
        if (viaAlias.count == 1) {
            warnings.add("target " + viaAlias.first() + " is global, but " + sites(viaAlias.sites)
                    + " no PLT-capable reference to it: calls bound through a local alias"
                    + (onlyAlias != null ? " (" + onlyAlias + ")" : "")
                    + ", as -fno-semantic-interposition makes them; " + aliasDecoded + " found by decoding, "
                    + aliasBySection + " through a section-relative relocation (" + DOC + ")");
        } else if (viaAlias.count > 1) {
            warnings.add(viaAlias.count + " targets are global (" + viaAlias.names() + "), but " + sites(viaAlias.sites)
                    + " no PLT-capable reference to them: calls bound through local aliases, as"
                    + " -fno-semantic-interposition makes them; " + aliasDecoded + " found by decoding, "
                    + aliasBySection + " through a section-relative relocation (" + DOC + ")");
        }
        if (inlined.count == 1) {
            warnings.add("target " + inlined.first().replaceFirst(" in ", " is defined in ") + " but has no call site"
                    + " and its address is not taken: callers may have inlined it (" + DOC + ")");
        } else if (inlined.count > 1) {
            warnings.add(inlined.count + " targets are defined (" + inlined.names() + ") but have no call site and"
                    + " their address is not taken: callers may have inlined them (" + DOC + ")");
        }
    }

    /** The targets of one kind of warning: how many, the first few by name, and their call sites. */
    private static final class Group {
        private static final int SHOWN = 3;
        private final List<String> shown = new java.util.ArrayList<>(SHOWN);
        int count, sites;

        void add(String what, int siteCount) {
            if (shown.size() < SHOWN) {
                shown.add(what);
            }
            count++;
            sites += siteCount;
        }

        String first() {
            return shown.get(0);
        }

        String names() {
            return String.join(", ", shown) + (count > shown.size() ? ", and " + (count - shown.size()) + " more" : "");
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
                long addend = arch.addend(rel, k, data, field);
                long bias = arch.referenceBias(data, field, rtype, elf.isExecutable(applies), context);
                if (places.offset + addend + bias == at) {
                    return true;
                }
            }
        }
        return false;
    }
}
