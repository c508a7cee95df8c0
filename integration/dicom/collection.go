package dicom

import "fmt"

// Shape says how many patients, studies per patient, series per study and
// instances per series a collection has.
type Shape struct {
	Patients, Studies, Series, Instances int
}

// Collection returns Patients×Studies×Series×Instances single-frame CT
// instances whose UIDs, names and pixels are all derived from seed, so two
// calls with the same arguments describe the same files. Different seeds
// give disjoint UIDs.
func Collection(seed uint64, s Shape) []CT {
	var out []CT
	for p := range s.Patients {
		for st := range s.Studies {
			for se := range s.Series {
				for i := range s.Instances {
					out = append(out, CT{
						PatientName:       fmt.Sprintf("%s^Patient %d-%d", Marker, seed, p),
						PatientID:         fmt.Sprintf("SEALFS-%d-%d", seed, p),
						StudyInstanceUID:  UID(seed, uint64(p), uint64(st)),
						SeriesInstanceUID: UID(seed, uint64(p), uint64(st), uint64(se)),
						SOPInstanceUID:    UID(seed, uint64(p), uint64(st), uint64(se), uint64(i)),
						SeriesNumber:      se + 1,
						InstanceNumber:    i + 1,
						Seed:              seed<<32 ^ uint64(len(out)),
					})
				}
			}
		}
	}
	return out
}

// MultiFrame returns one CT instance of the given number of frames
// (FrameSize bytes each) for its own patient, study and series under seed.
func MultiFrame(seed uint64, frames int) CT {
	return CT{
		PatientName:       fmt.Sprintf("%s^Multiframe %d", Marker, seed),
		PatientID:         fmt.Sprintf("SEALFS-MF-%d", seed),
		StudyInstanceUID:  UID(seed, 1<<20),
		SeriesInstanceUID: UID(seed, 1<<20, 1),
		SOPInstanceUID:    UID(seed, 1<<20, 1, 1),
		SeriesNumber:      1,
		InstanceNumber:    1,
		Frames:            frames,
		Seed:              seed,
	}
}
