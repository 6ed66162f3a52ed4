using LabRunner.Core.Errors;

namespace LabRunner.Engine.Sync;

/// <summary>A push of a synced folder failed: the host folder could not be read, or the guest refused or dropped the copy.</summary>
public sealed class SyncException(string message, Exception? inner = null) : LabRunnerException(ErrorCategory.HostFailure, message, inner);
