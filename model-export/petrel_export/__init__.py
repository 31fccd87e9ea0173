"""Petrel model export: corpus → tokenizer → pretrain → SFT → export → verify."""
