using System;
using System.Text;

namespace Sluice.Generators.Helpers;

/// <summary>Writes C# with consistent indentation; multi-line text is indented line by line.</summary>
internal sealed class SourceWriter
{
    private const int SpacesPerLevel = 4;
    private readonly StringBuilder _builder = new();

    public int Indentation { get; set; }

    public void WriteLine() => _builder.Append('\n');

    public void WriteLine(string text)
    {
        if (text.IndexOf('\n') < 0)
        {
            WriteIndentedLine(text);
            return;
        }

        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            WriteIndentedLine(line);
        }
    }

    /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
    public Block Braces(string header)
    {
        WriteLine(header);
        WriteLine("{");
        Indentation++;
        return new Block(this);
    }

    public override string ToString() => _builder.ToString();

    private void WriteIndentedLine(string line)
    {
        if (line.Length > 0)
        {
            _builder.Append(' ', Indentation * SpacesPerLevel);
            _builder.Append(line);
        }

        _builder.Append('\n');
    }

    internal readonly struct Block : IDisposable
    {
        private readonly SourceWriter _writer;

        public Block(SourceWriter writer)
        {
            _writer = writer;
        }

        public void Dispose()
        {
            _writer.Indentation--;
            _writer.WriteLine("}");
        }
    }
}
