using LabRunner.Core.Errors;

namespace LabRunner.Cli.Commands;

/// <summary>A command line the user can fix (a bad option value, an unknown provider, a VM not running): exit code 2, one clear line.</summary>
public sealed class UsageException(string message) : LabRunnerException(ErrorCategory.Usage, message);
