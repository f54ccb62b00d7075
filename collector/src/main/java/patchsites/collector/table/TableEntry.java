package patchsites.collector.table;

/**
 * One entry of a call-site table as the object records it.
 *
 * @param index       position in the table
 * @param siteSection section holding the site, or -1 when the entry does not resolve to one
 * @param siteOffset  offset of the site in that section
 * @param siteAddress final address of the site (linked programs), else the offset
 * @param key         key symbol name ({@code site-key}), or null
 * @param keyAddress  final key address (linked programs), else 0
 * @param flags       the key field's low two bits (bit 0 tail, bit 1 init)
 * @param problem     why the entry could not be decoded, or null
 */
public record TableEntry(int index, int siteSection, long siteOffset, long siteAddress, String key, long keyAddress,
        int flags, String problem) {
    public boolean tail() {
        return (flags & 1) != 0;
    }
}
