namespace LabRunner.Core.Diagnostics;

/// <summary>
/// The codes other layers act on, named: a code is never a literal outside <see cref="DiagnosticBuilder"/>,
/// whose factories are the only ones to make diagnostics with them.
/// </summary>
public static class DiagnosticCodes
{
    /// <summary><see cref="DiagnosticBuilder.YamlSyntax"/>: the text is not YAML, so nothing of it can be bound.</summary>
    public const string YamlSyntax = "LAB001";

    /// <summary><see cref="DiagnosticBuilder.ProvisionFileMissing"/>: a provisioner's file is not next to the Labfile.</summary>
    public const string ProvisionFileMissing = "LAB703";

    /// <summary><see cref="DiagnosticBuilder.SyncedFolderMissing"/>: a synced folder's host folder is not there.</summary>
    public const string SyncedFolderMissing = "LAB802";
}
