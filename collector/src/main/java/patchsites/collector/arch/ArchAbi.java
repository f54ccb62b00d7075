package patchsites.collector.arch;

import java.util.HashMap;
import java.util.Map;

/**
 * The constant facts of one architecture's ELF ABI that the scan, the table reader and the table
 * writer look up: one record per architecture, next to its {@link Arch}.
 *
 * @param name                      the name in output and on the command line ({@code x86_64},
 *                                  {@code ppc64le}, ...)
 * @param rela                      relocatable objects carry explicit addends (SHT_RELA), else SHT_REL
 * @param tablePcRel32Type          relocation type of a table field holding {@code S + A - P} in 32
 *                                  bits (site and key fields)
 * @param tableAbsoluteType         relocation type of a pointer-sized table field holding {@code S + A}
 *                                  (the {@code abs} layout; also ppc64 ELFv1 function descriptors)
 * @param mappingSymbols            decoding needs the ELF mapping symbols ($a/$t/$d), see
 *                                  {@link CodeContext#mappingAt}
 * @param templateSection           the section of template code copied elsewhere at run time (x86
 *                                  alternatives), whose branches are not sites: the kernel patches
 *                                  the copy, and objtool skips them; null where there is none
 * @param functionDescriptorSection ppc64 ELFv1's {@code .opd}: a function symbol defined there
 *                                  stands for the code its descriptor's first doubleword points to
 *                                  (a {@code tableAbsoluteType} relocation against the code
 *                                  section); null where function symbols are code addresses
 * @param relocationPrefix          what every relocation name of the machine starts with ({@code R_ARM_})
 * @param relocationNames           the rest of the names of the types diagnostics mention
 */
public record ArchAbi(String name, boolean rela, int tablePcRel32Type, int tableAbsoluteType, boolean mappingSymbols,
        String templateSection, String functionDescriptorSection, String relocationPrefix,
        Map<Integer, String> relocationNames) {
    /** A readable relocation type name for diagnostics. */
    public String relocationName(int type) {
        return relocationPrefix + relocationNames.getOrDefault(type, Integer.toString(type));
    }

    public boolean isTemplateSection(String section) {
        return section.equals(templateSection);
    }

    /** Name pairs for {@link #relocationNames}: type, name, type, name... */
    static Map<Integer, String> names(Object... typeNamePairs) {
        Map<Integer, String> m = new HashMap<>();
        for (int i = 0; i < typeNamePairs.length; i += 2) {
            m.put((Integer) typeNamePairs[i], (String) typeNamePairs[i + 1]);
        }
        return Map.copyOf(m);
    }

    /** The common case: no mapping symbols, template or descriptor section. */
    static ArchAbi of(String name, boolean rela, int tablePcRel32Type, int tableAbsoluteType, String relocationPrefix,
            Map<Integer, String> relocationNames) {
        return new ArchAbi(name, rela, tablePcRel32Type, tableAbsoluteType, false, null, null, relocationPrefix,
                relocationNames);
    }

    ArchAbi withMappingSymbols() {
        return new ArchAbi(name, rela, tablePcRel32Type, tableAbsoluteType, true, templateSection,
                functionDescriptorSection, relocationPrefix, relocationNames);
    }

    ArchAbi withTemplateSection(String section) {
        return new ArchAbi(name, rela, tablePcRel32Type, tableAbsoluteType, mappingSymbols, section,
                functionDescriptorSection, relocationPrefix, relocationNames);
    }

    ArchAbi withFunctionDescriptors(String section) {
        return new ArchAbi(name, rela, tablePcRel32Type, tableAbsoluteType, mappingSymbols, templateSection, section,
                relocationPrefix, relocationNames);
    }
}
