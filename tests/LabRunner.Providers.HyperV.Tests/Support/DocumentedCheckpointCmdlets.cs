namespace LabRunner.Providers.HyperV.Tests.Support;

/// <summary>
/// The cmdlets of the Hyper-V provider's checkpoint scripts (its <see cref="Core.Hosting.ISnapshots"/>), as
/// documented in the Windows Server 2022 reference (MicrosoftDocs/windows-powershell-docs
/// docset/winserver2022-ps/Hyper-V/...): part of <see cref="DocumentedCmdlets.All"/>.
/// </summary>
internal static class DocumentedCheckpointCmdlets
{
    private const string Docs = "MicrosoftDocs/windows-powershell-docs docset/winserver2022-ps/hyper-v/";
    private static readonly string[] Remote = ["CimSession", "ComputerName", "Credential"];
    private static readonly string[] ShouldProcess = ["WhatIf", "Confirm"];

    public static readonly DocumentedCmdlet[] All =
    [
        new("Hyper-V", "Get-VM",
            [.. Remote, "Name", "Id", "ClusterObject"],
            [], null, Docs + "Get-VM.md"),
        new("Hyper-V", "Checkpoint-VM",
            [.. Remote, "Name", "VM", "SnapshotName", "AsJob", "Passthru", .. ShouldProcess],
            ["AsJob", "Passthru"], null, Docs + "Checkpoint-VM.md"),
        new("Hyper-V", "Get-VMSnapshot",
            [.. Remote, "VMName", "VM", "Name", "SnapshotType", "Id", "ParentOf", "ChildOf"],
            [], null, Docs + "Get-VMSnapshot.md"),
        new("Hyper-V", "Restore-VMSnapshot",
            [.. Remote, "Name", "VMName", "VMSnapshot", "VM", "AsJob", "Passthru", .. ShouldProcess],
            ["AsJob", "Passthru"], "VMSnapshot", Docs + "Restore-VMSnapshot.md"),
        new("Hyper-V", "Remove-VMSnapshot",
            [.. Remote, "VMName", "VM", "VMSnapshot", "Name", "IncludeAllChildSnapshots", "AsJob", "Passthru", .. ShouldProcess],
            ["IncludeAllChildSnapshots", "AsJob", "Passthru"], "VMSnapshot", Docs + "Remove-VMSnapshot.md"),
        new("Hyper-V", "Suspend-VM",
            [.. Remote, "Name", "VM", "AsJob", "Passthru", .. ShouldProcess],
            ["AsJob", "Passthru"], null, Docs + "Suspend-VM.md"),
    ];
}
