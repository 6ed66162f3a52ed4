using LabRunner.Core.Diagnostics;
using LabRunner.Core.Labfile;
using LabRunner.Core.Planning;

namespace LabRunner.Core.Validation;

public static partial class LabValidator
{
    /// <summary>
    /// A VM's synced folders: the host folder is there, the guest path is absolute for the guest's OS and no other
    /// folder of the VM's lies on or under it, the provider offers the kind. An item of 'defaults' (or of a VM with
    /// 'count') shares one position: each problem at a position is reported once.
    /// </summary>
    private static void ValidateSyncedFolders(VmDefinition vm, LabContext context, ICollection<Diagnostic> d, HashSet<(SourceSpan, string)> reported)
    {
        var taken = new List<(string Path, SourceSpan Span)>();
        foreach (var folder in vm.SyncedFolders)
        {
            void Report(SourceSpan span, string what, Diagnostic diagnostic)
            {
                if (reported.Add((span, what))) d.Add(diagnostic);
            }

            if (context.MissingSyncedFolders.Contains(folder.HostPath))
                Report(folder.HostSpan, "missing", DiagnosticBuilder.SyncedFolderMissing(folder.HostSpan, folder.HostPath));
            if (!context.Rules.SyncedFolderTypes.Contains(folder.Type))
                Report(folder.Span, "type", DiagnosticBuilder.SyncedFolderTypeUnavailable(folder.Span, Word(folder.Type), context.Rules.Name,
                    context.Rules.SyncedFolderTypes.Select(Word)));
            if (folder.Type is not (SyncedFolderType.Auto or SyncedFolderType.Push) && folder.ExcludeSpan is { } excludeSpan)
                Report(excludeSpan, "exclude", DiagnosticBuilder.NotApplicable(excludeSpan, "exclude",
                    $"a {Word(folder.Type)} share shows the whole folder to the guest; only a push leaves files out"));
            if (vm.Os == GuestOs.Windows)
            {
                foreach (var (key, span) in new[] { ("owner", folder.OwnerSpan), ("group", folder.GroupSpan) })
                    if (span is { } s)
                        Report(s, key, DiagnosticBuilder.NotApplicable(s, key, $"VM '{vm.Name}' runs Windows, whose pushed files belong to the Administrator"));
            }

            if (GuestPaths.Normalize(folder.GuestPath, vm.Os) is not { } guest)
            {
                Report(folder.GuestSpan, "guest-" + vm.Os, DiagnosticBuilder.InvalidGuestPath(folder.GuestSpan, folder.GuestPath, GuestPaths.Rule(vm.Os)));
                continue;
            }
            var clash = taken.FirstOrDefault(t => GuestPaths.IsWithin(guest, t.Path, vm.Os) || GuestPaths.IsWithin(t.Path, guest, vm.Os));
            if (clash.Path is not null)
                Report(folder.GuestSpan, "taken-" + clash.Path, DiagnosticBuilder.GuestPathTaken(folder.GuestSpan, vm.Name, guest, clash.Path, clash.Span));
            else
                taken.Add((guest, folder.GuestSpan));
        }
    }

    private static string Word(SyncedFolderType type) => type.ToString().ToLowerInvariant();
}
