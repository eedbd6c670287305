"""`python -m eval.train`: rebuild the learned models (pipeline.extract.learned.train)."""

from pipeline.extract.learned.train import main

if __name__ == "__main__":
    main()
