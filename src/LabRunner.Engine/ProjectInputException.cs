using LabRunner.Core.Errors;

namespace LabRunner.Engine;

/// <summary>
/// A project's input LabRunner cannot use, and the user can fix: no Labfile, a file that cannot be read or is not
/// a regular file, a provisioner's file missing, an unreadable key, an environment setting out of range.
/// </summary>
public sealed class ProjectInputException(string message) : LabRunnerException(ErrorCategory.Usage, message);
