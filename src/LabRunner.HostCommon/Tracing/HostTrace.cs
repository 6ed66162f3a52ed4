using System.Globalization;
using System.Text;
using LabRunner.Core.Diagnostics;
using LabRunner.Core.Tracing;

namespace LabRunner.HostCommon.Tracing;

/// <summary>
/// The trace of one <c>lab</c> run: every host call, redacted once here (<see cref="Secrets"/>), goes to the
/// <c>--verbose</c> writer as it starts and ends, and to the project's transcript in <c>.lab/logs/</c> once
/// <see cref="KeepTranscript"/> named the folder. The transcript file is made at the first call (a run that
/// calls nothing leaves none), owner-only, and appended to entry by entry; only the newest
/// <see cref="KeptTranscripts"/> (and at most <see cref="MaxTotalBytes"/> together) are kept.
/// </summary>
public sealed class HostTrace : IHostTrace
{
    public const int KeptTranscripts = 20;
    public const long MaxTranscriptBytes = 2 * 1024 * 1024;
    public const long MaxTotalBytes = 16 * 1024 * 1024;

    /// <summary>How much of a call's stderr (and recorded input) is kept.</summary>
    public const int MaxStreamChars = 8 * 1024;

    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TimeProvider _time;
    private TextWriter? _verbose;
    private readonly Action<string> _warn;
    private readonly Lock _gate = new();
    private int _calls;
    private string? _folder;
    private string? _command;
    private Action? _prepare;
    private long _written;
    private bool _broken;

    /// <param name="time">Timestamps and durations.</param>
    /// <param name="warn">Says once that the transcript cannot be written (the run goes on without it).</param>
    public HostTrace(TimeProvider time, Action<string> warn)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _warn = warn ?? throw new ArgumentNullException(nameof(warn));
    }

    /// <summary>The secrets this run knows; everything written passes through it.</summary>
    public SecretRedactor Secrets { get; } = new();

    /// <summary>Whether calls are printed as they run (<see cref="PrintTo"/>).</summary>
    public bool Verbose
    {
        get
        {
            lock (_gate) return _verbose is not null;
        }
    }

    /// <summary>The transcript file, once the first call was written to it; null before (or when none could be written).</summary>
    public string? TranscriptPath { get; private set; }

    /// <summary>Whether a host call exited non-zero, could not start or was stopped.</summary>
    public bool AnyFailed { get; private set; }

    /// <summary>
    /// Keeps this run's transcript in <paramref name="folder"/> (a project's <c>.lab/logs</c>), named by the time and
    /// <paramref name="command"/>; <paramref name="prepare"/> makes its parent first (the project's owner-only <c>.lab/</c>).
    /// </summary>
    public void KeepTranscript(string folder, string command, Action? prepare = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentException.ThrowIfNullOrEmpty(command);
        lock (_gate)
        {
            if (_folder is not null) return;
            _folder = folder;
            _command = command;
            _prepare = prepare;
        }
    }

    /// <summary>Also prints each call on <paramref name="writer"/> as it starts and ends (<c>--verbose</c>).</summary>
    public void PrintTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_gate) _verbose = writer;
    }

    public IHostCallRecord Begin(HostCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var number = Interlocked.Increment(ref _calls);
        var argv = Quote(Secrets.RedactArguments(call.Argv));
        if (call.Summary is { } summary) argv += "  # " + OutsideText.Escape(Secrets.Redact(summary), int.MaxValue);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"[{Now()}] #{number} run: {argv}\n");
        if (call.Script is { } script) Block(text, "script", Secrets.Redact(script), int.MaxValue);
        if (call.StandardInput is { } input)
        {
            if (call.StandardInputIsSecret)
                text.Append(CultureInfo.InvariantCulture, $"    stdin: {input.Length} characters, not recorded (it carries credentials)\n");
            else
                Block(text, "stdin", Secrets.Redact(input), MaxStreamChars);
        }
        var verbose = new StringBuilder();
        verbose.Append(CultureInfo.InvariantCulture, $"lab: host #{number}: {argv}\n");
        if (call.Script is not null) Block(verbose, "script", Secrets.Redact(call.Script), int.MaxValue);
        Write(text.ToString(), verbose.ToString());
        return new Record(this, number, _time.GetTimestamp());
    }

    public string Redact(string text) => Secrets.Redact(text);

    /// <summary>Ends the transcript (when there is one) with how the run ended.</summary>
    public void Finish(int exitCode)
    {
        lock (_gate)
            if (TranscriptPath is not null)
                Append(string.Create(CultureInfo.InvariantCulture, $"[{Now()}] lab exited {exitCode}\n"));
    }

    private void Ended(int number, long started, int? exitCode, string? standardError, string? reason)
    {
        var seconds = _time.GetElapsedTime(started).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
        var outcome = exitCode is { } code ? $"exit {code}" : $"failed: {Secrets.Redact(reason ?? "")}";
        var line = $"{outcome} after {seconds} s\n";
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"[{Now()}] #{number} {line}");
        var verbose = new StringBuilder().Append(CultureInfo.InvariantCulture, $"lab: host #{number}: {line}");
        if (standardError is { Length: > 0 } && !string.IsNullOrWhiteSpace(standardError))
        {
            var redacted = Secrets.Redact(standardError);
            Block(text, "stderr", redacted, MaxStreamChars);
            if (exitCode != 0) Block(verbose, "stderr", redacted, MaxStreamChars);
        }
        if (exitCode != 0)
            lock (_gate) AnyFailed = true;
        Write(text.ToString(), verbose.ToString());
    }

    private void Write(string transcript, string verbose)
    {
        lock (_gate)
        {
            _verbose?.Write(verbose);
            _verbose?.Flush();
            if (_folder is null || _broken) return;
            try
            {
                if (TranscriptPath is null) Create();
                Append(transcript);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Core.Errors.LabRunnerException)
            {
                _broken = true;
                _warn($"the transcript of host commands cannot be written in '{_folder}': {e.Message}");
            }
        }
    }

    private void Create()
    {
        var folder = _folder!;
        _prepare?.Invoke();
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else
        {
            Directory.CreateDirectory(folder, OwnerFolder);
            if ((File.GetUnixFileMode(folder) & ~OwnerFolder) != 0) File.SetUnixFileMode(folder, OwnerFolder);
        }
        Prune(folder);
        var now = _time.GetUtcNow();
        var stem = now.ToString("yyyyMMdd-HHmmss.fff", CultureInfo.InvariantCulture) + "-" + _command!.Replace(' ', '-');
        var path = Path.Combine(folder, stem + ".log");
        for (var n = 2; File.Exists(path) || Directory.Exists(path); n++)
            path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}.log"));
        TranscriptPath = path;
        _written = 0;
        Append(string.Create(CultureInfo.InvariantCulture,
            $"LabRunner transcript of 'lab {_command}', started {now:yyyy-MM-ddTHH:mm:ss.fffZ}; secrets are redacted.\n"));
    }

    /// <summary>Deletes the oldest transcripts, so that with the one about to be made at most <see cref="KeptTranscripts"/> stay, together under <see cref="MaxTotalBytes"/>.</summary>
    private static void Prune(string folder)
    {
        var files = new DirectoryInfo(folder).GetFiles("*.log")
            .Where(f => (f.Attributes & FileAttributes.ReparsePoint) == 0)
            .OrderByDescending(f => f.Name, StringComparer.Ordinal)
            .ToList();
        long total = MaxTranscriptBytes;
        for (var i = 0; i < files.Count; i++)
        {
            total += files[i].Length;
            if (i < KeptTranscripts - 1 && total <= MaxTotalBytes) continue;
            try
            {
                files[i].Delete();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run may be writing or removing it: the next run tries again.
            }
        }
    }

    private void Append(string text)
    {
        if (TranscriptPath is null || _written > MaxTranscriptBytes) return;
        var bytes = Encoding.UTF8.GetBytes(text);
        if (_written + bytes.Length > MaxTranscriptBytes)
            bytes = Encoding.UTF8.GetBytes($"[transcript cut at {MaxTranscriptBytes / 1024 / 1024} MB]\n");
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerFile;
        using (var stream = new FileStream(TranscriptPath, options))
            stream.Write(bytes);
        _written += bytes.Length > 0 && _written + bytes.Length > MaxTranscriptBytes ? MaxTranscriptBytes + 1 : bytes.Length;
    }

    private string Now() => _time.GetUtcNow().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private static void Block(StringBuilder text, string name, string content, int limit)
    {
        var cut = content.Length > limit ? content[..limit] : content;
        text.Append(CultureInfo.InvariantCulture, $"    {name}:\n");
        foreach (var line in cut.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
            text.Append("      ").Append(OutsideText.Escape(line, int.MaxValue)).Append('\n');
        if (cut.Length < content.Length)
            text.Append(CultureInfo.InvariantCulture, $"      [{content.Length - limit} more characters not kept]\n");
    }

    /// <summary>An argument vector as one line: each argument single-quoted when it needs to be (never executed).</summary>
    /// Control characters are shown escaped (<see cref="OutsideText"/>), so no argument can forge a line of the terminal.
    private static string Quote(IEnumerable<string> argv) => string.Join(' ', argv.Select(argument =>
    {
        var a = OutsideText.Escape(argument, int.MaxValue);
        return a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,@+%[]()".Contains(c, StringComparison.Ordinal))
            ? a
            : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }));

    private sealed class Record(HostTrace trace, int number, long started) : IHostCallRecord
    {
        public void Ended(int exitCode, string? standardError) => trace.Ended(number, started, exitCode, standardError, null);

        public void Failed(string reason) => trace.Ended(number, started, null, null, reason);
    }
}
