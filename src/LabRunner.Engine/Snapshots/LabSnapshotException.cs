using LabRunner.Core.Errors;

namespace LabRunner.Engine.Snapshots;

/// <summary>
/// A lab snapshot command that cannot do what was asked: a bad or unknown name (usage), a name taken or VMs lacking
/// the snapshot (conflict), a provider that keeps no snapshots (usage), or a lab-wide step that failed on the host.
/// </summary>
public sealed class LabSnapshotException(ErrorCategory category, string message, Exception? inner = null) : LabRunnerException(category, message, inner);
