console.log('No benchmarks yet: the on-sale benchmark arrives with the performance issue.');
