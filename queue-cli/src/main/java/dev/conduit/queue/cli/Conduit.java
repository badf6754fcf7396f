package dev.conduit.queue.cli;

import dev.conduit.queue.AccessDeniedException;
import dev.conduit.queue.BackendNotFoundException;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueFullException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code conduit} command. Every error is one clear line on standard error (the stack trace
 * only with {@code --verbose}); the exit code says what kind of error it was.
 */
@Command(name = "conduit", mixinStandardHelpOptions = true, versionProvider = Conduit.Version.class,
        description = "Conduit queues from the command line: a demo, a queue server, inspection, benchmarks.",
        subcommands = {DemoCommand.class, ServeCommand.class, LsCommand.class, StatCommand.class, PeekCommand.class,
            PutCommand.class, GetCommand.class, ClearCommand.class, DestroyCommand.class, BenchCommand.class,
            DemoWorker.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:success",
            " 1:the operation failed (message on stderr)",
            " 2:bad arguments",
            " 3:no such queue, or no backend for its type",
            " 4:queue empty or full within the timeout",
            " 5:access denied"})
public final class Conduit {
    /** Success. */
    public static final int OK = 0;
    /** The operation failed. */
    public static final int FAILED = 1;
    /** Bad arguments. */
    public static final int USAGE = 2;
    /** No such queue or backend. */
    public static final int NOT_FOUND = 3;
    /** Empty or full within the timeout. */
    public static final int EMPTY_OR_FULL = 4;
    /** Access denied. */
    public static final int DENIED = 5;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces with errors.")
    boolean verbose;

    private Conduit() {
    }

    /**
     * Runs the command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        // Library INFO lines (server started, queue created) would bury the command's own output.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(run(args));
    }

    /**
     * Runs the command line without exiting, for tests and embedding.
     *
     * @param args the arguments
     * @return the exit code
     */
    public static int run(String... args) {
        Conduit top = new Conduit();
        CommandLine cl = new CommandLine(top);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            err.println("conduit: " + oneLine(ex));
            if (top.verbose) {
                ex.printStackTrace(err);
            }
            err.flush();
            return exitCode(ex);
        });
        cl.setParameterExceptionHandler((ex, args1) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("conduit: " + oneLine(ex) + " (try '"
                    + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return USAGE;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli hands only exceptions to the handler above; a queue too large for the heap is an error
            PrintWriter err = cl.getErr();
            err.println("conduit: out of memory (" + oneLine(e) + "): ask for less (a smaller --capacity or --items),"
                    + " or give Java more heap (java -Xmx4g -jar conduit.jar ...)");
            if (top.verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return FAILED;
        }
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            m = ex.getClass().getSimpleName();
        }
        return m.lines().findFirst().orElse(m);
    }

    static int exitCode(Throwable ex) {
        if (ex instanceof IllegalArgumentException) {
            return USAGE;
        }
        if (ex instanceof BackendNotFoundException || ex instanceof QueueNotFoundException) {
            return NOT_FOUND;
        }
        if (ex instanceof QueueEmptyException || ex instanceof QueueFullException) {
            return EMPTY_OR_FULL;
        }
        if (ex instanceof AccessDeniedException) {
            return DENIED;
        }
        if (ex instanceof QueueException) {
            return FAILED;
        }
        return FAILED;
    }

    /** Thrown by inspection commands when the named queue does not exist. */
    static final class QueueNotFoundException extends QueueException {
        private static final long serialVersionUID = 1L;

        QueueNotFoundException(String message) {
            super(message);
        }
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Conduit.class.getPackage().getImplementationVersion();
            return new String[] {"conduit " + (v == null ? "development build" : v)};
        }
    }
}
