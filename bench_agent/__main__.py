from bench_agent.cli import main

raise SystemExit(main())
