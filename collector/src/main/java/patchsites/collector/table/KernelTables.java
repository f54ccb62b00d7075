package patchsites.collector.table;

import java.util.List;
import java.util.Set;
import patchsites.collector.emit.TableEmitter;
import patchsites.collector.emit.TableLayout;
import patchsites.collector.scan.TargetMatcher;
import patchsites.model.ModelOptions;
import patchsites.isa.SiteKind;

/**
 * The x86 kernel's call-site tables, as Linux 6.1 writes and links them: what each entry points
 * at, and where a linked vmlinux keeps the table. In a module ({@code .ko}) every table is a
 * section of its own name; in vmlinux, vmlinux.lds.h puts some inside other output sections and
 * names their bounds its own way (not {@code __start_<section>}), so each table lists them.
 *
 * <table>
 * <caption>Bounds in vmlinux</caption>
 * <tr><th>table</th><th>layout</th><th>bounds</th><th>entries point at</th></tr>
 * <tr><td>.static_call_sites</td><td>site-key</td><td>__start_static_call_sites / __stop_static_call_sites (in .data)</td>
 *     <td>call/jmp __SCT__x; key __SCK__x</td></tr>
 * <tr><td>__mcount_loc</td><td>abs</td><td>__start_mcount_loc / __stop_mcount_loc (in .init.data)</td>
 *     <td>call __fentry__, or its 5-byte NOP</td></tr>
 * <tr><td>.retpoline_sites</td><td>site</td><td>own section; __retpoline_sites / __retpoline_sites_end</td>
 *     <td>call/jmp/jcc __x86_indirect_thunk_*</td></tr>
 * <tr><td>.return_sites</td><td>site</td><td>own section; __return_sites / __return_sites_end</td>
 *     <td>jmp/jcc __x86_return_thunk</td></tr>
 * </table>
 */
public final class KernelTables {
    /** One table: its section name, layout, targets, key rule, the bounds vmlinux uses, and the kinds it holds. */
    public record Table(String section, TableLayout layout, List<String> targets, String keyFrom, String keyTo,
            List<TableBounds> bounds, Set<SiteKind> kinds, boolean nopSites) {
        /**
         * The audit options for this table in one file. A module may key a site by the
         * trampoline itself when vmlinux does not export the key (objtool's fallback, flagged as
         * such); vmlinux defines every key, so there a key must be the __SCK__ object.
         */
        public Auditor.Options options(boolean module, ModelOptions model, TableBounds override) {
            TableEmitter.KeyRule keys = keyFrom == null ? null : new TableEmitter.KeyRule(keyFrom, keyTo, module);
            return new Auditor.Options(section, layout, TargetMatcher.of(targets), keys, model,
                    override != null ? List.of(override) : bounds, override != null, kinds, nopSites);
        }
    }

    public static final List<Table> X86 = List.of(
            new Table(".static_call_sites", TableLayout.SITE_KEY, List.of("__SCT__*"), "__SCT__", "__SCK__",
                    List.of(new TableBounds("__start_static_call_sites", "__stop_static_call_sites")),
                    Set.of(SiteKind.CALL, SiteKind.TAIL), false),
            new Table("__mcount_loc", TableLayout.ABS, List.of("__fentry__"), null, null,
                    List.of(new TableBounds("__start_mcount_loc", "__stop_mcount_loc")),
                    Set.of(SiteKind.CALL), true),
            new Table(".retpoline_sites", TableLayout.SITE, List.of("__x86_indirect_thunk_*"), null, null,
                    List.of(new TableBounds("__retpoline_sites", "__retpoline_sites_end")),
                    Set.of(SiteKind.CALL, SiteKind.TAIL, SiteKind.COND_TAIL), false),
            new Table(".return_sites", TableLayout.SITE, List.of("__x86_return_thunk"), null, null,
                    List.of(new TableBounds("__return_sites", "__return_sites_end")),
                    Set.of(SiteKind.TAIL, SiteKind.COND_TAIL), false));

    private KernelTables() {}
}
