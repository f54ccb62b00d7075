package patchsites.collector.scan;

import java.util.List;

/** Sites of one object in (section index, offset) order, plus warnings about what a scan cannot see. */
public record ScanResult(String arch, List<CallSite> sites, List<String> warnings) {
}
